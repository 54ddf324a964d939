"""Embedded mode: `zebra train` runs the flow in-process without Prefect."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

DRIVER = """
import sys
from zebraops_core.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("PREFECT_IMPORTED=" + str(any(m == "prefect" or m.startswith("prefect.")
                                     for m in sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def test_train_imports_no_prefect_and_lists_the_run(project, zp):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.pop("ZEBRA_PREFECT_API_URL", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            DRIVER,
            "--project",
            str(project),
            "train",
            "quick",
            "--json",
            "-q",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "PREFECT_IMPORTED=False" in proc.stderr
    out = json.loads(proc.stdout)
    listed = json.loads(zp("list", "runs", "--model", "quick", "--json").stdout)
    assert out["best_run_id"] in [r["run_id"] for r in listed]
    assert listed[0]["primary_metric"] == "score"
