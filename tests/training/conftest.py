"""A trained-on-real-data churn project shared by a test module, plus small
models that misbehave on purpose."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EXIT3 = """\
import sys
print("about to fail", flush=True)
print("boom: the detail a user needs", file=sys.stderr, flush=True)
sys.exit(3)
"""

NO_MODEL = """\
import mlflow
with mlflow.start_run():
    mlflow.log_metric("roc_auc", 0.5)
"""

# Writes an MLflow model folder into the output dir; metric score = C.
QUICK = """\
import argparse, json, os
from pathlib import Path
import mlflow
parser = argparse.ArgumentParser()
parser.add_argument("--config")
config = json.loads(Path(parser.parse_args().config).read_text())
out = Path(config["output_dir"])
(out / "model").mkdir(parents=True, exist_ok=True)
(out / "model" / "MLmodel").write_text("artifact_path: model\\nflavors: {}\\n")
(out / "note.txt").write_text("hello")
with mlflow.start_run():
    mlflow.log_metric("score", float(config["hyperparams"]["C"]))
"""


def notebook(cells: list[tuple[str, list[str], str]]) -> str:
    """A notebook from (id, tags, source) cells."""
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "id": cid,
                    "metadata": {"tags": tags},
                    "source": source,
                    "outputs": [],
                    "execution_count": None,
                }
                for cid, tags, source in cells
            ],
            "metadata": {
                "kernelspec": {
                    "name": "python3",
                    "display_name": "Python 3",
                    "language": "python",
                }
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def add_model(project: Path, name: str, files: dict[str, str], spec: str) -> None:
    folder = project / "models" / name
    folder.mkdir(parents=True, exist_ok=True)
    for file, text in files.items():
        (folder / file).write_text(text)
    (folder / "model.yaml").write_text(textwrap.dedent(spec))


def data_roles(dataset: str = "telco_churn") -> str:
    return f"datasets: {{train: '{dataset}:train', valid: '{dataset}:valid'}}\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory, telco_csv: Path) -> Path:
    """examples/tabular-churn with the real Telco data ingested, and extra
    models: exits3, nomodel, quick, ghost (no entrypoint), nodata (unknown
    dataset), untagged (notebook without parameters cell), failing
    (notebook whose second cell raises)."""
    from tests.conftest import _Zebra

    dest = tmp_path_factory.mktemp("train") / "churn-project"
    shutil.copytree(
        ROOT / "examples" / "tabular-churn",
        dest,
        ignore=shutil.ignore_patterns(
            "cached_data", ".zebraops", "mlruns", "__pycache__", "data"
        ),
    )
    roles = data_roles()
    add_model(
        dest,
        "exits3",
        {"train.py": EXIT3},
        f"name: exits3\nentrypoint: train.py\n{roles}",
    )
    add_model(
        dest,
        "nomodel",
        {"train.py": NO_MODEL},
        f"name: nomodel\nentrypoint: train.py\n{roles}",
    )
    add_model(
        dest,
        "quick",
        {"train.py": QUICK},
        f"name: quick\nentrypoint: train.py\n{roles}"
        "metrics: [{name: score}]\n"
        "hyperparams: {defaults: {C: 1}, grid: {C: [1, 2, 3]}}\n",
    )
    add_model(dest, "ghost", {}, f"name: ghost\nentrypoint: missing.py\n{roles}")
    add_model(
        dest,
        "nodata",
        {"train.py": NO_MODEL},
        "name: nodata\nentrypoint: train.py\n"
        "datasets: {train: 'no_such_dataset:train', valid: 'no_such_dataset:valid'}\n",
    )
    add_model(
        dest,
        "untagged",
        {
            "train.ipynb": notebook(
                [
                    ("setup", [], "C = 1.0\ntrain_uri = 'somewhere.parquet'\n"),
                    ("work", [], "print(C)\n"),
                ]
            )
        },
        f"name: untagged\ntype: notebook\nentrypoint: train.ipynb\n{roles}"
        "hyperparams: {defaults: {C: 1.0}}\n",
    )
    add_model(
        dest,
        "failing",
        {
            "train.ipynb": notebook(
                [
                    ("params", ["parameters"], "C = 1.0\n"),
                    ("divide", [], "ratio = C / 0\n"),
                    ("never", [], "print('not reached')\n"),
                ]
            )
        },
        f"name: failing\ntype: notebook\nentrypoint: train.ipynb\n{roles}",
    )
    # A dataset defined but never ingested, and a profile on a remote adapter.
    sources = dest / "data_sources"
    shutil.copy(sources / "telco_churn.yaml", sources / "telco_other.yaml")
    add_model(
        dest,
        "other",
        {"train.py": NO_MODEL},
        f"name: other\nentrypoint: train.py\n{data_roles('telco_other')}",
    )
    (dest / "profiles").mkdir(exist_ok=True)
    (dest / "profiles" / "remote.yaml").write_text("compute: vast\n")

    _Zebra()("--project", dest, "ingest", "telco_churn", "--source", telco_csv)
    return dest


@pytest.fixture
def zp(project: Path, zebra):
    """``zebra --project PROJECT ...``."""

    def call(*args: str, ok: bool = True):
        return zebra("--project", project, *args, ok=ok)

    return call


@pytest.fixture
def mlflow_client(project: Path):
    from mlflow.tracking import MlflowClient

    return MlflowClient(f"sqlite:///{project / '.zebraops' / 'mlflow.db'}")
