"""Atomicity: a killed ingest leaves no partial manifest and nothing a later
run mistakes for complete."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from zebraops_core.datasets import ingest, latest_manifest
from zebraops_core.errors import NotFound
from zebraops_core.specs import load_manifest

from .conftest import validate_manifest_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tabular-churn"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_staging_is_removed(data_project, people_csv) -> None:
    data_project.define()
    people_csv(40)
    parquet = data_project.root / "cached_data" / "parquet"
    stale = parquet / f".staging-{socket.gethostname()}-{_dead_pid()}-deadbeef"
    stale.mkdir(parents=True)
    (stale / "train.parquet").write_bytes(b"PAR1 half written")
    manifest, _ = ingest(data_project.ctx(), "people")
    assert not stale.exists()
    assert [p.name for p in data_project.parquet_entries()] == [manifest.id]


def test_orphan_without_manifest_is_replaced(data_project, people_csv) -> None:
    data_project.define()
    people_csv(40)
    manifest, _ = ingest(data_project.ctx(), "people")
    # Simulate a kill between the rename and the manifest write: data
    # folder present (and damaged), no manifest, no index.
    (data_project.root / "cached_data" / "manifests" / f"{manifest.id}.json").unlink()
    shutil.rmtree(data_project.root / ".zebraops")
    train = Path(manifest.splits["train"].uri)
    train.write_bytes(b"garbage")
    from zebraops_core.state import _stores

    _stores.clear()
    ctx = data_project.ctx()
    try:
        latest_manifest(ctx, "people")
        raise AssertionError("an orphan was taken for a manifest")
    except NotFound:
        pass
    again, created = ingest(ctx, "people")
    assert created and again.id == manifest.id
    assert pq.read_table(train).num_rows == again.splits["train"].rows


def test_killed_ingest(churn_project: Path) -> None:
    data = churn_project / "data" / "telco_churn.csv"
    subprocess.run(
        [sys.executable, "generate_data.py", "--rows", "400000"],
        cwd=churn_project,
        check=True,
        capture_output=True,
    )
    zebra = str(Path(sys.executable).parent / "zebra")
    for delay in (0.8, 2.0):
        proc = subprocess.Popen(
            [zebra, "ingest", "telco_churn", "--verify"],
            cwd=churn_project,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        # Whatever the moment: every manifest on disk is complete and valid.
        for path in (churn_project / "cached_data" / "manifests").glob("*"):
            assert path.suffix == ".json" and not path.name.startswith(".")
            manifest = load_manifest(path)
            validate_manifest_json(path)
            assert all(Path(s.uri).is_file() for s in manifest.splits.values())
    result = subprocess.run(
        [zebra, "ingest", "telco_churn", "--json"],
        cwd=churn_project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    parquet = churn_project / "cached_data" / "parquet"
    assert not list(parquet.glob(".staging-*"))
    manifests = list((churn_project / "cached_data" / "manifests").glob("*.json"))
    assert len(manifests) == 1
    manifest = load_manifest(manifests[0])
    assert sum(s.rows for s in manifest.splits.values()) == 400000
    assert data.is_file()
