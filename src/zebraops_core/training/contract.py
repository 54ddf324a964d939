"""The runner contract: the config file and the environment of a job.

Every runner gives a training job the same inputs:

* a config file (JSON, which YAML readers accept too)::

    {"model_name": "churn", "run_id": "...", "output_dir": "...",
     "datasets": {"train": URI, "valid": URI, "test": URI},
     "manifests": {"train": MANIFEST_ID, ...},
     "target": "Churn", "target_mapping": {"Yes": 1, "No": 0},
     "key": "customerID", "hyperparams": {...},
     "mlflow": {"tracking_uri": ..., "experiment_name": ..., "run_id": ...}}

* the environment variables of :func:`contract_env`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..interfaces import RunContext

#: Roles a model may declare, in order.
ROLES = ("train", "valid", "test")


def dataset_uris(context: RunContext) -> dict[str, str]:
    """Role -> URI of the split the model reads for that role."""
    out = {}
    for role in ROLES:
        if role in context.manifests and role in context.model.datasets:
            split = context.model.dataset_ref(role).split
            out[role] = context.manifests[role].split_uri(split)
    return out


def config_dict(context: RunContext) -> dict[str, Any]:
    manifests = dict(context.manifests)
    first = manifests.get("train") or next(iter(manifests.values()), None)
    schema = first.schema if first is not None else {}
    target = schema.get("target") or {}
    return {
        "model_name": context.model.name,
        "run_id": context.run_id,
        "parent_run_id": context.parent_run_id,
        "output_dir": str(context.output_dir),
        "datasets": dataset_uris(context),
        "manifests": {role: m.id for role, m in manifests.items()},
        "target": target.get("column"),
        "target_mapping": target.get("mapping") or {},
        "key": schema.get("key"),
        "hyperparams": dict(context.params),
        "profile": context.profile,
        "mlflow": {
            "tracking_uri": context.tracking_uri,
            "experiment_name": context.experiment_name,
            "run_id": context.run_id,
        },
    }


def write_config(context: RunContext) -> None:
    """Write the config atomically at ``context.config_path``."""
    path = context.config_path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(config_dict(context), indent=2, default=str) + "\n")
    os.replace(tmp, path)


def contract_env(context: RunContext) -> dict[str, str]:
    """The environment variables every job gets."""
    env = {
        "ZEBRA_MODEL_NAME": context.model.name,
        "ZEBRA_RUN_ID": context.run_id,
        "ZEBRA_OUTPUT_DIR": str(context.output_dir),
        "ZEBRA_CONFIG": str(context.config_path),
        "ZEBRA_PROFILE": context.profile,
        "MLFLOW_TRACKING_URI": context.tracking_uri,
        "MLFLOW_EXPERIMENT_NAME": context.experiment_name,
        "MLFLOW_RUN_ID": context.run_id,
    }
    for role, uri in dataset_uris(context).items():
        env[f"ZEBRA_DATASET_{role.upper()}_URI"] = uri
    env.update(context.extra_env)
    return env
