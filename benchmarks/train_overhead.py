"""What `zebra train` costs on top of the script it wraps.

    python benchmarks/train_overhead.py [--repeats 3] [--csv PATH]

1. Copies examples/tabular-churn to a temporary folder and ingests the real
   Telco CSV (`../shared/data/telco-churn/telco_churn.csv`), then trains
   once to create the MLflow database (not timed).
2. `python models/churn/train.py --config direct.json`: the script alone on
   the same materialized splits, logging to the same MLflow itself.
3. `zebra train churn`: the same script under ZebraOps (run created with
   lineage tags, outputs logged, model registered).
4. `zebra train churn --grid` (4 points) in parallel (one per core) vs
   `--max-parallel 1`.

Runs alternate and the median wall time of each is reported, with the
ratios the issue aims at: zebra/direct <= 1.2 and grid parallel/sequential
<= 0.6 on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "telco-churn" / "telco_churn.csv"


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grid-repeats", type=int, default=1)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--keep", action="store_true", help="keep the project")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="zebra-bench-"))
    project = tmp / "churn"
    shutil.copytree(
        ROOT / "examples" / "tabular-churn",
        project,
        ignore=shutil.ignore_patterns("data", "cached_data", ".zebraops"),
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ZEBRA_", "MLFLOW_", "PREFECT_API"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    zebra = str(BIN / "zebra")
    try:
        # Setup: ingest, and one untimed run that creates the MLflow database.
        run([zebra, "ingest", "telco_churn", "--source", str(args.csv)], project, env)
        run([zebra, "train", "churn", "-q"], project, env)
        manifest = max(
            (project / "cached_data" / "manifests").glob("*.json"),
            key=lambda p: p.stat().st_mtime,
        )
        splits = json.loads(manifest.read_text())["splits"]
        schema = json.loads(manifest.read_text())["schema"]
        config = {
            "datasets": {s: splits[s]["uri"] for s in ("train", "valid", "test")},
            "output_dir": str(tmp / "direct-out"),
            "target": schema["target"]["column"],
            "target_mapping": schema["target"].get("mapping") or {},
            "key": schema.get("key"),
            "hyperparams": {"C": 1.0, "class_weight": None, "max_iter": 1000},
        }
        (tmp / "direct.json").write_text(json.dumps(config))
        direct_env = dict(env)
        direct_env["MLFLOW_TRACKING_URI"] = (
            f"sqlite:///{project / '.zebraops' / 'mlflow.db'}"
        )
        direct_env["MLFLOW_EXPERIMENT_NAME"] = "churn-direct"
        script = [
            sys.executable,
            "models/churn/train.py",
            "--config",
            str(tmp / "direct.json"),
        ]
        run(script, project, direct_env)  # creates its experiment, untimed

        direct, wrapped = [], []
        for _ in range(args.repeats):
            direct.append(run(script, project, direct_env))
            wrapped.append(run([zebra, "train", "churn", "-q"], project, env))
        parallel, sequential = [], []
        for _ in range(args.grid_repeats):
            parallel.append(
                run([zebra, "train", "churn", "--grid", "-q"], project, env)
            )
            sequential.append(
                run(
                    [zebra, "train", "churn", "--grid", "-q", "--max-parallel", "1"],
                    project,
                    env,
                )
            )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    d, w = statistics.median(direct), statistics.median(wrapped)
    p, s = statistics.median(parallel), statistics.median(sequential)
    cores = len(os.sched_getaffinity(0))
    print(f"cores: {cores}; repeats: {args.repeats} (grid {args.grid_repeats})")
    print(f"python train.py (logs to MLflow itself): {d:6.2f} s  {direct}")
    print(f"zebra train churn:                       {w:6.2f} s  {wrapped}")
    print(f"  overhead {w - d:+.2f} s, ratio {w / d:.2f}x (aim <= 1.2x, +1.5 s)")
    print(f"grid of 4, parallel:                     {p:6.2f} s")
    print(f"grid of 4, --max-parallel 1:             {s:6.2f} s")
    print(f"  ratio {p / s:.2f}x (aim <= 0.6x on 2 cores)")


if __name__ == "__main__":
    main()
