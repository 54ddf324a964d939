"""A project whose churn model is in prod, trained on the real Telco data.

Built once per session (MLflow on SQLite inside the project): the manifest
comes from ``zebraops_core.datasets.ingest`` when it works, else it is
written here the same way (hash split on customerID, Parquet splits); the
model is a real sklearn pipeline logged with the lineage tags and given the
prod alias.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import TELCO_CATEGORICAL

TELCO_NUMERIC = ["tenure", "MonthlyCharges", "TotalCharges"]

DATASET_YAML = """\
connector: file
path: {path}
format: csv
schema:
  key: customerID
  target:
    column: Churn
    mapping: {{"Yes": 1, "No": 0}}
  columns:
    - {{name: customerID, dtype: string, nullable: false}}
    - {{name: gender, dtype: category}}
    - {{name: SeniorCitizen, dtype: int}}
{categorical}
    - {{name: tenure, dtype: int}}
    - {{name: MonthlyCharges, dtype: float}}
    - {{name: TotalCharges, dtype: float}}
    - {{name: Churn, dtype: category}}
splits:
  method: hash
  column: customerID
  ratios: {{train: 0.7, valid: 0.15, test: 0.15}}
"""

MODEL_YAML = """\
name: churn
entrypoint: train.py
datasets:
  train: telco:train
  valid: telco:valid
metrics:
  - name: roc_auc
    threshold: 0.7
monitoring:
  drift_share: 0.3
  min_rows: 30
  performance_drop: 0.05
"""


def _write_project(root: Path, telco_csv: Path) -> None:
    (root / "data_sources").mkdir(parents=True)
    (root / "models" / "churn").mkdir(parents=True)
    (root / "zebra.yaml").write_text("name: monitor-test\n")
    cats = "\n".join(
        f"    - {{name: {c}, dtype: category}}"
        for c in TELCO_CATEGORICAL
        if c != "gender"
    )
    (root / "data_sources" / "telco.yaml").write_text(
        DATASET_YAML.format(path=telco_csv, categorical=cats)
    )
    (root / "models" / "churn" / "model.yaml").write_text(MODEL_YAML)
    (root / "models" / "churn" / "train.py").write_text("# trained by the fixture\n")


def read_telco(telco_csv: Path):
    import pandas as pd

    frame = pd.read_csv(telco_csv)
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    return frame


def _own_manifest(root: Path, telco_csv: Path) -> str:
    """What ingest writes, for when the DATA area's ingest is not there."""
    from zebraops_core.specs import Manifest, SourceRecord, SplitRecord, dump_manifest

    frame = read_telco(telco_csv)
    bucket = frame["customerID"].map(
        lambda k: int(hashlib.sha256(k.encode()).hexdigest()[:8], 16) / 2**32
    )
    parts = {
        "train": frame[bucket < 0.7],
        "valid": frame[(bucket >= 0.7) & (bucket < 0.85)],
        "test": frame[bucket >= 0.85],
    }
    content = hashlib.sha256(telco_csv.read_bytes()).hexdigest()
    manifest_id = f"telco-{content[:12]}"
    splits = {}
    for name, part in parts.items():
        path = root / "cached_data" / "parquet" / manifest_id / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        part.reset_index(drop=True).to_parquet(path, index=False)
        splits[name] = SplitRecord(
            rows=len(part),
            uri=str(path),
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            size_bytes=path.stat().st_size,
        )
    columns = (
        [
            {"name": "customerID", "dtype": "string", "nullable": False},
            {"name": "SeniorCitizen", "dtype": "int", "nullable": True},
        ]
        + [
            {"name": c, "dtype": "category", "nullable": True}
            for c in TELCO_CATEGORICAL
        ]
        + [
            {"name": "tenure", "dtype": "int", "nullable": True},
            {"name": "MonthlyCharges", "dtype": "float", "nullable": True},
            {"name": "TotalCharges", "dtype": "float", "nullable": True},
            {"name": "Churn", "dtype": "category", "nullable": True},
        ]
    )
    manifest = Manifest(
        id=manifest_id,
        dataset_id="telco",
        created_at="2026-12-03T00:00:00+00:00",
        source=SourceRecord(uri=str(telco_csv), connector="file", content_hash=content),
        schema={
            "columns": columns,
            "key": "customerID",
            "target": {"column": "Churn", "mapping": {"Yes": 1, "No": 0}},
        },
        splits=splits,
    )
    out = root / "cached_data" / "manifests" / f"{manifest_id}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dump_manifest(manifest))
    return manifest_id


def make_manifest(ctx, root: Path, telco_csv: Path) -> str:
    try:
        from zebraops_core.datasets import ingest

        found = ingest(ctx, "telco", source=str(telco_csv))
        return (found[0] if isinstance(found, tuple) else found).id
    except Exception as exc:  # the DATA area's ingest is not ready: same thing
        warnings.warn(
            f"zebraops_core.datasets.ingest unusable ({exc!r}); "
            "writing the manifest in the fixture",
            stacklevel=1,
        )
        return _own_manifest(root, telco_csv)


def train_and_promote(ctx, manifest_id: str) -> tuple[str, str]:
    """Log a real pipeline with lineage tags, register it, alias it prod."""
    import mlflow
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from zebraops_core import tracking
    from zebraops_core.monitoring.sources import load_manifest, read_table

    manifest = load_manifest(ctx, manifest_id)
    train = read_table(ctx, manifest.splits["train"].uri)
    valid = read_table(ctx, manifest.splits["valid"].uri)
    features = TELCO_NUMERIC + TELCO_CATEGORICAL + ["SeniorCitizen"]

    def xy(frame: pd.DataFrame):
        x = frame[features].copy()
        for c in TELCO_CATEGORICAL:
            x[c] = x[c].astype(str)
        y = frame["Churn"].astype(str).map({"Yes": 1, "No": 0, "1": 1, "0": 0})
        return x, y.astype(int)

    pipe = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        (
                            "num",
                            make_pipeline(SimpleImputer(), StandardScaler()),
                            TELCO_NUMERIC + ["SeniorCitizen"],
                        ),
                        (
                            "cat",
                            OneHotEncoder(handle_unknown="ignore"),
                            TELCO_CATEGORICAL,
                        ),
                    ]
                ),
            ),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    x, y = xy(train)
    pipe.fit(x, y)
    xv, yv = xy(valid)
    auc = float(roc_auc_score(yv, pipe.predict_proba(xv)[:, 1]))

    tracking.configure(ctx.settings)
    experiment_id = tracking.ensure_experiment(ctx.settings, "churn")
    tags = {
        tracking.TAG_MODEL: "churn",
        tracking.TAG_DATASET_PREFIX + "train": manifest_id,
        tracking.TAG_DATASET_PREFIX + "valid": manifest_id,
    }
    with mlflow.start_run(experiment_id=experiment_id, tags=tags) as run:
        mlflow.log_metric("eval.roc_auc", auc)
        mlflow.sklearn.log_model(
            pipe,
            name="model",
            input_example=x.head(3),
            pip_requirements=["scikit-learn", "skops"],
            skops_trusted_types=["numpy.dtype"],
        )
    client = tracking.client(ctx.settings)
    with contextlib.suppress(Exception):  # registered by an earlier session
        client.create_registered_model("churn")
    version = client.create_model_version(
        "churn", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id, tags=tags
    )
    client.set_registered_model_alias("churn", "prod", version.version)
    return run.info.run_id, str(version.version)


def _real_prod_project(root: Path, telco_csv: Path) -> dict | None:
    """The example project through the real ingest, train, eval and promote;
    ``None`` (with a warning) when one of those areas is not working."""
    from zebraops_core.context import Context

    example = Path(__file__).resolve().parents[2] / "examples" / "tabular-churn"
    try:
        from zebraops_core.datasets import ingest
        from zebraops_core.evaluation import evaluate
        from zebraops_core.promotion import promote
        from zebraops_core.training import train

        shutil.copytree(
            example,
            root,
            ignore=shutil.ignore_patterns(
                "cached_data", ".zebraops", "mlruns", "__pycache__", "data"
            ),
        )
        ctx = Context(project_dir=root)
        manifest, _ = ingest(ctx, "telco_churn", source=str(telco_csv))
        outcome = train(ctx, "churn", echo=False)
        evaluate(ctx, "churn", outcome.run_id)
        done = promote(ctx, "churn", outcome.run_id, "prod")
        if not done.promoted:
            raise RuntimeError(f"promotion refused: {done.message}")
        return {
            "root": root,
            "manifest_id": manifest.id,
            "dataset": "telco_churn",
            "run_id": outcome.run_id,
            "version": str(done.version),
        }
    except Exception as exc:
        warnings.warn(
            f"real ingest/train/eval/promote unusable ({exc!r}); the "
            "fixture logs its own model",
            stacklevel=1,
        )
        shutil.rmtree(root, ignore_errors=True)
        return None


@pytest.fixture(scope="session")
def prod_project(tmp_path_factory, telco_csv: Path) -> Iterator[dict]:
    """{root, manifest_id, dataset, run_id, version}: churn in prod."""
    from zebraops_core.context import Context

    base = tmp_path_factory.mktemp("monitor")
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    found = None
    if not os.environ.get("ZEBRA_TEST_OWN_MODEL"):
        found = _real_prod_project(base / "example", telco_csv)
    if found is None:
        root = base / "project"
        _write_project(root, telco_csv)
        ctx = Context(project_dir=root)
        manifest_id = make_manifest(ctx, root, telco_csv)
        run_id, version = train_and_promote(ctx, manifest_id)
        found = {
            "root": root,
            "manifest_id": manifest_id,
            "dataset": "telco",
            "run_id": run_id,
            "version": version,
        }
    yield found
    if saved is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)


@pytest.fixture
def ctx(prod_project: dict):
    from zebraops_core.context import Context

    return Context(project_dir=prod_project["root"])


@pytest.fixture(scope="session")
def telco_frame(telco_csv: Path):
    return read_telco(telco_csv)


def write_csv(frame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def prediction_events(
    frame,
    *,
    model: str = "churn",
    version: str = "1",
    start=None,
    step_s: float = 1.0,
    prefix: str = "req",
) -> list[dict]:
    """prediction_event records for each row, as the SERVE area writes them."""
    from datetime import datetime, timedelta, timezone

    start = start or datetime.now(timezone.utc) - timedelta(minutes=30)
    records = []
    for i, row in enumerate(frame.to_dict("records")):
        inputs = {
            k: (None if isinstance(v, float) and v != v else v)
            for k, v in row.items()
            if k != "Churn"
        }
        p = (hash(row.get("customerID", i)) % 1000) / 1000
        records.append(
            {
                "event_type": "prediction",
                "request_id": f"{prefix}-{i}",
                "row": 0,
                "model": model,
                "model_version": version,
                "alias": "prod",
                "timestamp": (start + timedelta(seconds=i * step_s)).isoformat(),
                "inputs": inputs,
                "outputs": {
                    "prediction": int(p > 0.5),
                    "probabilities": {"0": 1 - p, "1": p},
                },
            }
        )
    return records


def write_serving_log(root: Path, records: list[dict], name: str = "a.jsonl") -> Path:
    from datetime import datetime, timezone

    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    folder = root / "cached_data" / "serving_logs" / "churn" / today
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(r, default=str) + "\n" for r in records))
    return path
