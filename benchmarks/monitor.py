"""`zebra monitor`'s drift check vs raw Evidently on the same frames.

    .venv/bin/python benchmarks/monitor.py [--rows 100000 1000000] [--cols 20]

For each size, reference and current frames (half numeric, half categorical
columns; a few columns shifted in current) are written once as Parquet. Each
side then runs in its own fresh subprocess: read both files, check drift,
write the HTML report. The parent measures the subprocess's wall time; the
child reports its peak RSS (ru_maxrss) and the time from reading the files to
the written report (imports excluded).

* raw: ``Report([DataDriftPreset()]).run(current, reference)`` on
  ``Dataset.from_pandas`` with a DataDefinition, then ``save_html``.
* zebra: what ``monitor_flow`` does with Parquet files: ``read_frame`` (which
  applies the sampling rule at the Arrow level above ``sample_rows``), then
  ``zebraops_core.monitoring.check.analyze`` - the monitor plugin (column
  checks, Evidently, report) plus the verdict. This is the part of ``zebra
  monitor`` that depends on the data size; the CLI adds a constant (MLflow
  logging, the state store row, events).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path


def make_frames(rows: int, cols: int, folder: Path) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd

    ref_path = folder / f"ref_{rows}_{cols}.parquet"
    cur_path = folder / f"cur_{rows}_{cols}.parquet"
    if ref_path.is_file() and cur_path.is_file():
        return ref_path, cur_path
    rng = np.random.default_rng(0)
    n_num = cols // 2

    def frame(shift: bool) -> pd.DataFrame:
        data = {}
        for i in range(n_num):
            loc = 0.3 if shift and i < 2 else 0.0
            if i % 3 == 2:
                data[f"num{i}"] = rng.poisson(5 + i, rows).astype("int64")
            else:
                data[f"num{i}"] = rng.normal(loc + i, 1 + i / 10, rows)
        for j in range(cols - n_num):
            k = 3 + j * 2
            cats = [f"c{j}_{v}" for v in range(k)]
            p = np.ones(k) / k
            if shift and j == 0:
                p = np.linspace(1, 3, k)
                p /= p.sum()
            data[f"cat{j}"] = rng.choice(cats, rows, p=p)
        return pd.DataFrame(data)

    frame(False).to_parquet(ref_path, index=False)
    frame(True).to_parquet(cur_path, index=False)
    return ref_path, cur_path


# -- Children -------------------------------------------------------------------


def child(side: str, ref_path: str, cur_path: str, html: str) -> None:
    import pandas as pd

    t0 = time.perf_counter()
    out: dict = {}
    if side == "raw":
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset

        ref = pd.read_parquet(ref_path)
        cur = pd.read_parquet(cur_path)
        num = [c for c in ref.columns if pd.api.types.is_numeric_dtype(ref[c])]
        cat = [c for c in ref.columns if c not in num]
        definition = DataDefinition(numerical_columns=num, categorical_columns=cat)
        snapshot = Report([DataDriftPreset()]).run(
            Dataset.from_pandas(cur, data_definition=definition),
            Dataset.from_pandas(ref, data_definition=definition),
        )
        drifted = snapshot.dict()["metrics"][0]["value"]["count"]
        snapshot.save_html(html)
        out["drifted"] = float(drifted)
    else:
        # What monitor_flow does with a parquet reference and current file
        from zebraops_core.monitoring.check import analyze
        from zebraops_core.monitoring.sampling import read_frame, sample_rule
        from zebraops_core.specs import MonitoringSpec

        spec = MonitoringSpec()
        ref, n_ref = read_frame(ref_path, sample_rows=spec.sample_rows, seed=spec.seed)
        cur, n_cur = read_frame(cur_path, sample_rows=spec.sample_rows, seed=spec.seed)
        rule = sample_rule(n_ref, n_cur, spec.sample_rows, spec.seed)
        analysis = analyze(
            ref,
            cur,
            spec,
            report_path=Path(html),
            sampling=rule if rule["applied"] else None,
        )
        out["drifted"] = sum(c.status == "drifted" for c in analysis.columns)
        out["drift_share"] = analysis.drift_share
        out["sampling"] = analysis.sampling
    out["check_s"] = time.perf_counter() - t0
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out, default=str))


# -- Parent ---------------------------------------------------------------------


def run_side(side: str, ref: Path, cur: Path, folder: Path) -> dict:
    html = folder / f"{side}_{ref.stem}.html"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", side, str(ref), str(cur), str(html)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{side} failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["wall_s"] = wall
    result["html_mb"] = html.stat().st_size / 1e6
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="Alternating rounds for sizes up to 200k rows.",
    )
    parser.add_argument("--child", nargs=4, metavar=("SIDE", "REF", "CUR", "HTML"))
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="Folder for the frames and reports (default: temp).",
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="zebra-bench-monitor-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"{'rows':>9} {'side':<6} {'wall s':>7} {'read+check s':>12} {'peak MB':>8} "
        f"{'drifted':>7}  sampling"
    )
    for rows in args.rows:
        # Generated in a fresh process: Linux carries a parent's peak RSS into
        # the children it forks, which would inflate both sides' peak memory.
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            ref, cur = pool.submit(make_frames, rows, args.cols, folder).result()
        results = {side: run_side(side, ref, cur, folder) for side in ("raw", "zebra")}
        for side, r in results.items():
            sampling = r.get("sampling") or {}
            note = (
                f"{sampling.get('sample_rows')} rows/side, seed {sampling.get('seed')}"
                if sampling.get("applied")
                else "-"
            )
            print(
                f"{rows:>9} {side:<6} {r['wall_s']:>7.1f} {r['check_s']:>12.1f} "
                f"{r['maxrss_mb']:>8.0f} {r['drifted']:>7}  {note}"
            )
        raw, zebra = results["raw"], results["zebra"]
        print(
            f"{rows:>9} ratio  time {zebra['wall_s'] / raw['wall_s']:.2f}x "
            f"(check {zebra['check_s'] / raw['check_s']:.2f}x), peak memory "
            f"{zebra['maxrss_mb'] / raw['maxrss_mb']:.2f}x"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
