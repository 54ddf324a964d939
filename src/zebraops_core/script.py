"""Optional helpers for training scripts run by ``zebra train``.

A script needs none of this: ``mlflow`` and ``pandas`` alone work (see the
runner contract in :mod:`zebraops_core.training.contract`). These helpers
save a few lines::

    from zebraops_core import script

    config = script.load_config()            # --config, or $ZEBRA_CONFIG
    frames = script.read_datasets(config)    # {"train": DataFrame, ...}
    x, y = script.features_and_target(frames["train"], config)
    ...
    with mlflow.start_run():                 # the run ZebraOps created
        script.log_model(pipeline, x.head(5))

:func:`log_model` passes a signature, an input example and explicit pip
requirements, which spares MLflow inferring them in a subprocess (about 3x
faster).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: Distributions a scikit-learn model needs to load elsewhere.
SKLEARN_REQUIREMENTS = ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "skops")
#: Types a ColumnTransformer/OneHotEncoder pipeline holds that skops refuses
#: unless trusted.
SKOPS_TRUSTED_TYPES = ("numpy.dtype",)


def config_path(argv: list[str] | None = None) -> str | None:
    """``--config PATH`` (or ``--config=PATH``) of the command line, else
    ``$ZEBRA_CONFIG``."""
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--config" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return os.environ.get("ZEBRA_CONFIG")


def load_config(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The run config (YAML or JSON). Without a file, what the environment
    says: dataset URIs, output folder, model name and run id."""
    path = path or config_path()
    if path:
        text = Path(path).read_text(encoding="utf-8")
        if str(path).endswith(".json"):
            return json.loads(text)
        import yaml

        return yaml.safe_load(text) or {}
    datasets = {
        role: os.environ[f"ZEBRA_DATASET_{role.upper()}_URI"]
        for role in ("train", "valid", "test")
        if os.environ.get(f"ZEBRA_DATASET_{role.upper()}_URI")
    }
    return {
        "model_name": os.environ.get("ZEBRA_MODEL_NAME"),
        "run_id": os.environ.get("ZEBRA_RUN_ID"),
        "output_dir": os.environ.get("ZEBRA_OUTPUT_DIR", "outputs"),
        "datasets": datasets,
        "hyperparams": {},
    }


def output_dir(config: Mapping[str, Any]) -> Path:
    """The run's output folder (created); its files become run artifacts."""
    path = Path(config.get("output_dir") or "outputs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_datasets(
    config: Mapping[str, Any], roles: Iterable[str] | None = None
) -> dict[str, Any]:
    """Role -> pandas DataFrame of each dataset split in the config."""
    import pandas as pd

    uris = dict(config.get("datasets") or {})
    wanted = list(roles) if roles is not None else list(uris)
    missing = [r for r in wanted if r not in uris]
    if missing:
        raise KeyError(f"the config has no dataset for {', '.join(missing)}")
    return {role: pd.read_parquet(uris[role]) for role in wanted}


def features_and_target(df: Any, config: Mapping[str, Any]) -> tuple[Any, Any]:
    """Split a frame into features (without target and key columns) and the
    target, mapped through the dataset's target mapping when it is text."""
    import pandas as pd

    target = config.get("target")
    if not target:
        raise KeyError("the config names no target column")
    y = df[target]
    mapping = config.get("target_mapping") or {}
    if mapping and not pd.api.types.is_numeric_dtype(y):
        y = y.map(mapping)
    drop = [c for c in (target, config.get("key")) if c and c in df.columns]
    return df.drop(columns=drop), y


def pip_requirements(
    dists: Iterable[str] = SKLEARN_REQUIREMENTS, extra: Iterable[str] = ()
) -> list[str]:
    """``name==version`` of each installed distribution, plus ``extra``."""
    out = []
    for dist in dists:
        try:
            out.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError:
            continue
    return [*out, *extra]


def log_model(
    model: Any,
    input_example: Any,
    *,
    name: str = "model",
    signature: Any = None,
    requirements: list[str] | None = None,
    extra_requirements: Iterable[str] = (),
    skops_trusted_types: Iterable[str] = SKOPS_TRUSTED_TYPES,
    **kwargs: Any,
) -> Any:
    """Log a scikit-learn model in the active run with a signature inferred
    from ``input_example``, the example itself and pinned requirements.

    :return: MLflow's ``ModelInfo``.
    """
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    if signature is None:
        signature = infer_signature(input_example, model.predict(input_example))
    return mlflow.sklearn.log_model(
        model,
        name=name,
        signature=signature,
        input_example=input_example,
        pip_requirements=requirements or pip_requirements(extra=extra_requirements),
        skops_trusted_types=list(skops_trusted_types),
        **kwargs,
    )
