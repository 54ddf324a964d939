"""Trained runs for evaluation and promotion tests, with real MLflow.

A "world" is a project folder with the Telco dataset ingested (through
``zebraops_core.datasets.ingest``, or a hand-written manifest when that
fails), and runs of model ``churn`` logged and registered the way
``zebra train`` does: a sklearn pipeline under ``model``, lineage tags, one
registered version per run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import attrs

from tests.helpers import TELCO_CATEGORICAL

log = logging.getLogger(__name__)

MODEL = "churn"
CATEGORICAL = TELCO_CATEGORICAL
NUMERIC = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]
PIP = ["mlflow", "scikit-learn", "pandas", "skops"]
EXAMPLE_TRAIN = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "tabular-churn"
    / "models"
    / "churn"
    / "train.py"
)

ZEBRA_YAML = "name: promotion-tests\n"

MODEL_YAML = """\
name: churn
entrypoint: train.py
datasets:
  train: telco_churn:train
  valid: telco_churn:valid
  test: telco_churn:test
metrics:
  - name: roc_auc
    direction: maximize
    threshold: 0.75
  - name: f1
    direction: maximize
  - name: log_loss
    direction: minimize
promotion:
  champion_tolerance: 0.02
  gates:
    staging: [threshold, lineage]
    prod: [threshold, lineage, champion]
evaluation:
  segments: [Contract, tenure]
"""


def dataset_yaml() -> str:
    cols = ["    - {name: customerID, dtype: string, nullable: false}"]
    cols += [f"    - {{name: {c}, dtype: string}}" for c in CATEGORICAL]
    cols += [
        "    - {name: SeniorCitizen, dtype: int}",
        "    - {name: tenure, dtype: int}",
        "    - {name: MonthlyCharges, dtype: float}",
        "    - {name: TotalCharges, dtype: float}",
        "    - {name: Churn, dtype: string, nullable: false}",
    ]
    return (
        "connector: file\npath: data/telco_churn.csv\nformat: csv\nschema:\n"
        "  key: customerID\n  target:\n    column: Churn\n"
        "    mapping: {'Yes': 1, 'No': 0}\n  columns:\n" + "\n".join(cols) + "\n"
        "splits:\n  method: hash\n  column: customerID\n"
        "  ratios: {train: 0.7, valid: 0.15, test: 0.15}\n"
    )


def write_project(root: Path, telco_csv: Path) -> Path:
    (root / "models" / MODEL).mkdir(parents=True, exist_ok=True)
    (root / "data_sources").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "zebra.yaml").write_text(ZEBRA_YAML)
    (root / "models" / MODEL / "model.yaml").write_text(MODEL_YAML)
    (root / "models" / MODEL / "train.py").write_text("# trained by the tests\n")
    (root / "data_sources" / "telco_churn.yaml").write_text(dataset_yaml())
    target = root / "data" / "telco_churn.csv"
    if not target.exists():
        os.symlink(telco_csv, target)
    return root


# -- Data ---------------------------------------------------------------------


def ingest_or_write(ctx: Any, telco_csv: Path) -> tuple[Any, str]:
    """The Telco manifest, and how it was made (``ingest`` or ``fallback``)."""
    try:
        from zebraops_core.datasets import ingest

        manifest, _ = ingest(ctx, "telco_churn", source=str(telco_csv))
        return manifest, "ingest"
    except Exception as exc:  # the DATA area may still be in progress
        log.warning(
            "ingest failed (%s: %s); writing the manifest by hand",
            type(exc).__name__,
            exc,
        )
        return _write_manifest(ctx, telco_csv), "fallback"


def _write_manifest(ctx: Any, telco_csv: Path) -> Any:
    import pandas as pd

    from zebraops_core.specs import Manifest, SourceRecord, SplitRecord, dump_manifest

    frame = pd.read_csv(telco_csv)
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    frame["Churn"] = frame["Churn"].map({"Yes": 1, "No": 0})
    bucket = frame["customerID"].map(
        lambda v: int(hashlib.sha256(v.encode()).hexdigest()[:8], 16) / 2**32
    )
    split = pd.cut(
        bucket,
        [0, 0.7, 0.85, 1.0],
        labels=["train", "valid", "test"],
        include_lowest=True,
    )
    content = hashlib.sha256(telco_csv.read_bytes()).hexdigest()
    mid = f"telco_churn-{content[:12]}"
    folder = ctx.project.cached_data_dir / "telco_churn" / mid
    folder.mkdir(parents=True, exist_ok=True)
    splits = {}
    for name in ("train", "valid", "test"):
        part = frame[split == name].reset_index(drop=True)
        path = folder / f"{name}.parquet"
        part.to_parquet(path, index=False)
        splits[name] = SplitRecord(
            rows=len(part),
            uri=str(path),
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            size_bytes=path.stat().st_size,
        )
    schema = {
        "target": {"column": "Churn", "mapping": {"Yes": 1, "No": 0}},
        "key": "customerID",
        "columns": [],
    }
    manifest = Manifest(
        id=mid,
        dataset_id="telco_churn",
        created_at="2026-01-01",
        source=SourceRecord(uri=str(telco_csv), connector="file", content_hash=content),
        schema=schema,
        splits=splits,
    )
    ctx.project.manifests_dir.mkdir(parents=True, exist_ok=True)
    (ctx.project.manifests_dir / f"{mid}.json").write_text(dump_manifest(manifest))
    return manifest


def read_split(manifest: Any, split: str) -> Any:
    import pandas as pd

    return pd.read_parquet(manifest.splits[split].uri)


# -- Runs -----------------------------------------------------------------------


def pipeline(kind: str) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if kind == "weak":  # one feature: clearly worse than the full model
        pre = ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(SimpleImputer(), StandardScaler()),
                    ["MonthlyCharges"],
                )
            ]
        )
        return Pipeline([("pre", pre), ("clf", LogisticRegression())])
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
        ]
    )
    c = {"good": 1.0, "good2": 0.3}.get(kind, 1.0)
    return Pipeline([("pre", pre), ("clf", LogisticRegression(C=c, max_iter=500))])


def log_run(
    ctx: Any,
    manifest: Any,
    kind: str,
    *,
    register: bool = True,
    status: str = "FINISHED",
    with_model: bool = True,
) -> dict[str, Any]:
    """Train ``kind`` on the manifest's train split and log it like a run."""
    import mlflow

    from zebraops_core import tracking

    client = tracking.client(ctx.settings)
    experiment = tracking.ensure_experiment(ctx.settings, MODEL)
    train = read_split(manifest, "train")
    X, y = train.drop(columns=["Churn"]), train["Churn"]
    model = pipeline(kind).fit(X, y)
    tags = {
        tracking.TAG_MODEL: MODEL,
        tracking.TAG_RUNNER: "tests",
        **tracking.dataset_tags({r: manifest.id for r in ("train", "valid", "test")}),
        "zebra.test.kind": kind,
    }
    with mlflow.start_run(experiment_id=experiment, tags=tags) as run:
        if with_model:
            warnings.filterwarnings("ignore", message=".*integer column.*")
            mlflow.sklearn.log_model(
                model,
                name="model",
                pip_requirements=PIP,
                skops_trusted_types=["numpy.dtype"],
                input_example=X.head(3),
            )
        run_id = run.info.run_id
    if status != "FINISHED":
        client.set_terminated(run_id, status)
    version = None
    if register and with_model:
        mv = mlflow.register_model(
            f"runs:/{run_id}/model", MODEL, tags={tracking.TAG_MODEL: MODEL}
        )
        version = str(mv.version)
    return {"run_id": run_id, "version": version, "kind": kind, "status": status}


def train_for_real(ctx: Any, manifest: Any, params: dict[str, Any]) -> dict:
    """A run made by ``zebraops_core.training.train`` with the example's
    train.py (copied into the project by :func:`build_world`)."""
    from zebraops_core.training import train

    outcome = train(
        ctx,
        MODEL,
        params=params,
        no_ingest=True,
        manifest_ids={"telco_churn": manifest.id},
        echo=False,
    )
    best = outcome.best
    return {
        "run_id": best.run_id,
        "version": best.model_version,
        "kind": "train",
        "status": best.status,
    }


@attrs.define
class World:
    root: Path
    manifest: Any
    manifest_how: str
    runs: dict[str, dict[str, Any]]
    tracking_uri: str | None
    backend: str
    train_how: str = "log_run"

    def run(self, name: str) -> str:
        return self.runs[name]["run_id"]

    def version(self, name: str) -> str:
        return self.runs[name]["version"]


RUN_KINDS = {
    # name: (kind, register, status, with_model)
    "good": ("good", True, "FINISHED", True),
    "good2": ("good2", True, "FINISHED", True),
    "weak": ("weak", True, "FINISHED", True),
    "failed": ("good", True, "FAILED", True),
    "unregistered": ("good", False, "FINISHED", True),
}


_WORLDS: dict[str, World] = {}


def world_once(
    backend: str, make_root: Any, telco_csv: Path, tracking_uri: str | None
) -> World:
    """One world per backend per session, whichever conftest asks first."""
    if backend not in _WORLDS:
        _WORLDS[backend] = build_world(make_root(), telco_csv, backend, tracking_uri)
    return _WORLDS[backend]


def build_world(
    root: Path, telco_csv: Path, backend: str, tracking_uri: str | None
) -> World:
    from zebraops_core.context import Context

    write_project(root, telco_csv)
    ctx = Context(project_dir=root)
    manifest, how = ingest_or_write(ctx, telco_csv)
    runs: dict[str, dict[str, Any]] = {}
    train_how = "log_run"
    if how == "ingest" and EXAMPLE_TRAIN.is_file():
        # The two good runs go through the real `zebra train` path.
        shutil.copy(EXAMPLE_TRAIN, root / "models" / MODEL / "train.py")
        try:
            runs["good"] = train_for_real(ctx, manifest, {"C": 1.0})
            runs["good2"] = train_for_real(ctx, manifest, {"C": 0.3})
            train_how = "train"
        except Exception as exc:  # the TRAIN area may still be in progress
            log.warning(
                "zebraops_core.training.train failed (%s: %s); logging runs by hand",
                type(exc).__name__,
                exc,
            )
            runs.clear()
    for name, (kind, register, status, with_model) in RUN_KINDS.items():
        if name not in runs:
            runs[name] = log_run(
                ctx,
                manifest,
                kind,
                register=register,
                status=status,
                with_model=with_model,
            )
    (root / "world.json").write_text(json.dumps(runs, indent=2))
    return World(root, manifest, how, runs, tracking_uri, backend, train_how)
