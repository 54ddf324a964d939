"""How long `zebra --help` takes next to `mlflow --help` and `prefect --help`.

    python benchmarks/cli_startup.py [--runs 5]

Each command runs ``--runs`` times in a fresh process (after one warm-up run
that fills the page cache and writes .pyc files); the median wall time is
printed with its ratio to zebra's. Commands are looked up next to this
Python first (the venv's bin), then on PATH.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (
    ("zebra", "--help"),
    ("zebra", "plugins"),
    ("mlflow", "--help"),
    ("prefect", "--help"),
)


def find(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command")
    args = parser.parse_args()

    medians: dict[str, float] = {}
    for name, *rest in COMMANDS:
        exe = find(name)
        label = " ".join([name, *rest])
        if exe is None:
            print(f"{label:18} not installed, skipped")
            continue
        argv = [exe, *rest]
        time_once(argv)  # warm-up
        samples = [time_once(argv) for _ in range(args.runs)]
        medians[label] = statistics.median(samples)
        print(
            f"{label:18} median {medians[label]:6.3f} s  "
            f"(min {min(samples):.3f}, max {max(samples):.3f}, n={args.runs})",
            flush=True,
        )

    base = medians.get("zebra --help")
    if base:
        print()
        for label, median in medians.items():
            if label != "zebra --help":
                print(f"{label:18} is {median / base:5.1f}x zebra --help")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
