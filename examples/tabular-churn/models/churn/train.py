"""Train the churn classifier: a scikit-learn pipeline on raw Telco columns.

Runs under ZebraOps (`zebra train churn`) or on its own:

    python train.py --config config.json

It needs only mlflow, pandas and scikit-learn (no zebraops import). The
config (YAML or JSON) gives the dataset URIs, the output folder and the
hyperparameters; ZebraOps also sets MLFLOW_RUN_ID so that the run below is
the one it created.
"""

from __future__ import annotations

import argparse
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import yaml
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DEFAULTS = {"C": 1.0, "class_weight": None, "max_iter": 1000}
# Types the saved pipeline holds that skops does not trust by default.
SKOPS_TRUSTED = ["numpy.dtype"]


def read_config(path: str | None) -> dict:
    """The run config; without one, the ZEBRA_* environment variables."""
    if path:
        text = Path(path).read_text(encoding="utf-8")
        return json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    datasets = {
        role: os.environ[f"ZEBRA_DATASET_{role.upper()}_URI"]
        for role in ("train", "valid", "test")
        if os.environ.get(f"ZEBRA_DATASET_{role.upper()}_URI")
    }
    return {
        "datasets": datasets,
        "output_dir": os.environ.get("ZEBRA_OUTPUT_DIR", "outputs"),
    }


def split_xy(df: pd.DataFrame, config: dict) -> tuple[pd.DataFrame, pd.Series]:
    target = config.get("target") or "Churn"
    drop = [target] + [c for c in [config.get("key") or "customerID"] if c in df]
    y = df[target]
    if not pd.api.types.is_numeric_dtype(y):
        mapping = config.get("target_mapping") or {"Yes": 1, "No": 0}
        y = y.map(mapping)
    return df.drop(columns=drop), y.astype(int)


def build_pipeline(x: pd.DataFrame, hp: dict) -> Pipeline:
    """Preprocessing inside the model, so serving accepts raw columns."""
    numeric = [
        c
        for c in x.columns
        if pd.api.types.is_numeric_dtype(x[c]) and not pd.api.types.is_bool_dtype(x[c])
    ]
    categorical = [c for c in x.columns if c not in numeric]
    numeric_steps = Pipeline(
        [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
    )
    categorical_steps = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    pre = ColumnTransformer(
        [("num", numeric_steps, numeric), ("cat", categorical_steps, categorical)]
    )
    model = LogisticRegression(
        C=float(hp["C"]),
        class_weight=hp.get("class_weight") or None,
        max_iter=int(hp.get("max_iter", 1000)),
    )
    return Pipeline([("pre", pre), ("model", model)])


def as_features(x: pd.DataFrame) -> pd.DataFrame:
    """Categories as plain strings, as the model's signature will declare
    them (missing values stay missing; integers stay integers, as raw rows
    send them)."""
    x = x.copy()
    for c in x.columns:
        col = x[c]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            values = col.astype(object)
            x[c] = values.where(col.notna(), np.nan).map(
                lambda v: v if isinstance(v, float) else str(v)
            )
    return x


def requirements() -> list[str]:
    """Pinned requirements, so MLflow need not infer them (much slower)."""
    out = []
    for dist in ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "skops"):
        try:
            out.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError:
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="run config (YAML or JSON)")
    args = parser.parse_args()
    config = read_config(args.config)
    hp = {**DEFAULTS, **(config.get("hyperparams") or {})}
    output_dir = Path(config.get("output_dir") or "outputs")
    output_dir.mkdir(parents=True, exist_ok=True)

    # Data: the materialized splits of the ingested dataset.
    uris = config["datasets"]
    x_train, y_train = split_xy(pd.read_parquet(uris["train"]), config)
    x_valid, y_valid = split_xy(pd.read_parquet(uris["valid"]), config)
    x_train, x_valid = as_features(x_train), as_features(x_valid)
    print(f"train rows: {len(x_train)}, valid rows: {len(x_valid)}", flush=True)

    if not os.environ.get("MLFLOW_RUN_ID"):
        mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME", "churn"))
    with mlflow.start_run():
        mlflow.log_params(hp)
        pipeline = build_pipeline(x_train, hp).fit(x_train, y_train)

        # Metrics on the validation split.
        proba = pipeline.predict_proba(x_valid)[:, 1]
        pred = (proba >= 0.5).astype(int)
        metrics = {
            "roc_auc": float(roc_auc_score(y_valid, proba)),
            "f1": float(f1_score(y_valid, pred)),
            "accuracy": float(accuracy_score(y_valid, pred)),
        }
        mlflow.log_metrics(metrics)
        print(json.dumps(metrics), flush=True)
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))

        # The model, with its signature and an input example of raw rows.
        example = x_train.head(5)
        signature = model_signature(pipeline, x_train)
        mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=signature,
            input_example=example,
            pip_requirements=requirements(),
            skops_trusted_types=SKOPS_TRUSTED,
        )


def model_signature(pipeline, x):
    """The signature of raw rows; float columns may be null (the pipeline
    imputes them), as TotalCharges is for new customers."""
    import warnings

    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    with warnings.catch_warnings():
        # MLflow's hint about nulls in integer columns: those stay required.
        warnings.filterwarnings("ignore", message=".*integer column")
        inferred = infer_signature(x.head(5), pipeline.predict(x.head(5)))
    columns = [
        ColSpec(c.type, c.name, required=False)
        if pd.api.types.is_float_dtype(x[c.name])
        else c
        for c in inferred.inputs.inputs
    ]
    return ModelSignature(Schema(columns), inferred.outputs)


if __name__ == "__main__":
    main()
