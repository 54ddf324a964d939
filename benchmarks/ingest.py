"""Ingest benchmark: throughput, hashing cost and the unchanged re-ingest.

Generates a synthetic Telco-shaped CSV of at least 500 MB under /tmp (kept
for later runs), then measures on the same bytes:

* ``sha256sum``, Python's ``hashlib.sha256`` (and ``blake3`` if installed)
  and a plain read loop, each over the whole file (page cache warm);
* one full ``zebra ingest`` (in-process), with the seconds spent hashing
  the source and the Parquet splits as they stream;
* the re-ingest of the unchanged source, in-process and as a CLI process.

    python benchmarks/ingest.py [--size-mb 500] [--dir /tmp/zebra-bench]

Aims (issue #3): hashing <= 1/4 of the ingest time; unchanged re-ingest < 1 s.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tabular-churn"
CHUNK = 8 << 20


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_data", EXAMPLE / "generate_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_csv(path: Path, size_mb: int) -> Path:
    if path.is_file() and path.stat().st_size >= size_mb * 1_000_000:
        return path
    gen = _generator()
    probe = gen.generate(path.with_suffix(".probe.csv"), 20_000, seed=1)
    per_row = probe.stat().st_size / 20_000
    probe.unlink()
    rows = int(size_mb * 1_000_000 / per_row * 1.02) + 1
    print(f"generating {rows:,} rows (~{size_mb} MB) into {path} ...", flush=True)
    gen.generate(path, rows, seed=11)
    return path


def time_it(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def read_loop(path: Path, update=None) -> None:
    with open(path, "rb", buffering=0) as fh:
        while block := fh.read(CHUNK):
            if update:
                update(block)


def hash_file(path: Path, hasher) -> str:
    read_loop(path, hasher.update)
    return hasher.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description="ZebraOps ingest benchmark")
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/zebra-bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    data = make_csv(args.dir / f"telco_{args.size_mb}mb.csv", args.size_mb)
    size = data.stat().st_size
    mb = size / 1e6
    print(f"file: {data} ({mb:,.0f} MB)", flush=True)

    # Hashing the same bytes, page cache warm.
    read_loop(data)
    results: dict[str, float] = {}
    t, _ = time_it(lambda: read_loop(data))
    results["read_loop_mb_s"] = mb / t
    t, digest_cli = time_it(
        lambda: subprocess.run(
            ["sha256sum", str(data)], check=True, capture_output=True, text=True
        ).stdout.split()[0]
    )
    results["sha256sum_mb_s"] = mb / t
    t, digest_py = time_it(lambda: hash_file(data, hashlib.sha256()))
    results["hashlib_sha256_mb_s"] = mb / t
    assert digest_py == digest_cli
    try:
        import blake3

        t, _ = time_it(lambda: hash_file(data, blake3.blake3()))
        results["blake3_mb_s"] = mb / t
    except ImportError:
        pass

    # A fresh project around the example's definition.
    project = args.dir / "project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    shutil.copy(EXAMPLE / "zebra.yaml", project / "zebra.yaml")
    shutil.copytree(EXAMPLE / "data_sources", project / "data_sources")

    from zebraops_core.context import Context
    from zebraops_core.datasets.flow import run_ingest

    ctx = Context(project_dir=project)
    # Warm up (imports, state store creation) on the small example file.
    _generator().generate(project / "data" / "telco_churn.csv", 7043)
    t, _ = time_it(lambda: run_ingest(ctx, "telco_churn"))
    results["warmup_small_ingest_s"] = t
    t, outcome = time_it(lambda: run_ingest(ctx, "telco_churn", source=str(data)))
    timings = outcome.timings
    assert outcome.created
    assert outcome.manifest.source.content_hash == f"sha256:{digest_cli}"
    rows = sum(s.rows for s in outcome.manifest.splits.values())
    results["ingest_s"] = t
    results["ingest_mb_s"] = mb / t
    results["rows"] = rows
    results["source_hash_s"] = timings["source_hash_s"]
    results["split_hash_s"] = timings["split_hash_s"]
    results["read_validate_split_write_s"] = timings["read_write_s"]
    results["stats_s"] = timings["stats_s"]
    results["hash_share_of_ingest"] = (
        timings["source_hash_s"] + timings["split_hash_s"]
    ) / t
    results["in_ingest_hash_mb_s"] = mb / max(timings["source_hash_s"], 1e-9)

    t, again = time_it(lambda: run_ingest(ctx, "telco_churn", source=str(data)))
    assert not again.created and again.manifest.id == outcome.manifest.id
    results["reingest_unchanged_s"] = t
    zebra = Path(sys.executable).parent / "zebra"
    t, proc = time_it(
        lambda: subprocess.run(
            [str(zebra), "ingest", "telco_churn", "--source", str(data), "--json"],
            cwd=project,
            capture_output=True,
            text=True,
        )
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["created"] is False
    results["reingest_unchanged_cli_s"] = t
    t, _ = time_it(
        lambda: subprocess.run([str(zebra), "--help"], capture_output=True, check=True)
    )
    results["cli_help_s"] = t

    # Report.
    print()
    print(f"rows ingested                  {rows:>12,}")
    print(
        f"full ingest                    {results['ingest_s']:>10.2f} s   "
        f"{results['ingest_mb_s']:>8.1f} MB/s"
    )
    print(f"  read+validate+split+write    {timings['read_write_s']:>10.2f} s")
    print(f"  stats                        {timings['stats_s']:>10.2f} s")
    print(
        f"  hashing source (in stream)   {timings['source_hash_s']:>10.2f} s   "
        f"{results['in_ingest_hash_mb_s']:>8.1f} MB/s"
    )
    print(f"  hashing splits (in stream)   {timings['split_hash_s']:>10.2f} s")
    print(
        f"sha256sum                      {'':>10}     "
        f"{results['sha256sum_mb_s']:>8.1f} MB/s"
    )
    print(
        f"hashlib.sha256                 {'':>10}     "
        f"{results['hashlib_sha256_mb_s']:>8.1f} MB/s"
    )
    if "blake3_mb_s" in results:
        print(
            f"blake3                         {'':>10}     "
            f"{results['blake3_mb_s']:>8.1f} MB/s"
        )
    print(
        f"plain read loop                {'':>10}     "
        f"{results['read_loop_mb_s']:>8.1f} MB/s"
    )
    print(f"re-ingest unchanged (library)  {results['reingest_unchanged_s']:>10.3f} s")
    print(
        f"re-ingest unchanged (CLI)      {results['reingest_unchanged_cli_s']:>10.3f} s"
        f"   (zebra --help alone: {results['cli_help_s']:.3f} s)"
    )
    print()
    print("ratios")
    print(
        f"  hashlib.sha256 / sha256sum       "
        f"{results['hashlib_sha256_mb_s'] / results['sha256sum_mb_s']:6.2f}x"
    )
    print(
        f"  ingest / sha256sum throughput    "
        f"{results['ingest_mb_s'] / results['sha256sum_mb_s']:6.2f}x"
    )
    print(
        f"  hashing share of ingest time     "
        f"{results['hash_share_of_ingest']:6.1%}   (aim <= 25%: "
        f"{'met' if results['hash_share_of_ingest'] <= 0.25 else 'MISSED'})"
    )
    print(
        f"  unchanged re-ingest / ingest     "
        f"{results['reingest_unchanged_s'] / results['ingest_s']:6.4f}    "
        f"(aim < 1 s: "
        f"{'met' if results['reingest_unchanged_s'] < 1 else 'MISSED'})"
    )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    (out / "ingest.json").write_text(
        json.dumps(
            {
                **results,
                "size_bytes": size,
                "load_avg_1m": load,
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )
    print(
        f"\n(load average {load:.1f} on {os.cpu_count()} CPUs; "
        f"results in {out / 'ingest.json'})"
    )


if __name__ == "__main__":
    main()
