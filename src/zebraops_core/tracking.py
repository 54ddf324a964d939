"""MLflow access: the tracking URI of the profile, experiments that keep
their artifacts inside the project, and the lineage tag names.

MLflow is imported on first use, never at module import.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from .settings import Settings

log = logging.getLogger(__name__)

# Lineage tags on runs and model versions.
TAG_MODEL = "zebra.model"
TAG_SPEC_HASH = "zebra.spec_hash"
TAG_GIT_COMMIT = "zebra.git_commit"
TAG_GIT_DIRTY = "zebra.git_dirty"
TAG_GIT_DIFF_HASH = "zebra.git_diff_hash"
TAG_DATASET_PREFIX = "zebra.dataset."  # + train | valid | test
TAG_ENV_DIGEST = "zebra.env_digest"
TAG_PROFILE = "zebra.profile"
TAG_RUNNER = "zebra.runner"
TAG_GRID_PARENT = "zebra.grid_parent"
TAG_BEST_RUN = "zebra.best_run"  # on a grid's parent run
# Ledger mirror on model versions.
TAG_PROMOTED_PREFIX = "zebra.promoted."  # + alias -> ledger entry JSON


def configure(settings: Settings) -> None:
    """Point this process's MLflow at the profile's tracking server."""
    os.environ["MLFLOW_TRACKING_URI"] = settings.tracking_uri
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    # MLflow's own INFO lines and progress bars would drown ZebraOps' output;
    # `zebra --debug` (or setting these variables) brings them back.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if not logging.getLogger("zebraops_core").isEnabledFor(logging.DEBUG):
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    if settings.tracking_uri.startswith("sqlite:///"):
        Path(settings.tracking_uri[len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )
    endpoint = (settings.storage_options.get("client_kwargs") or {}).get("endpoint_url")
    if endpoint:
        os.environ.setdefault("MLFLOW_S3_ENDPOINT_URL", endpoint)
    import mlflow

    mlflow.set_tracking_uri(settings.tracking_uri)


def client(settings: Settings) -> MlflowClient:
    configure(settings)
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=settings.tracking_uri)


def ensure_experiment(settings: Settings, name: str) -> str:
    """The experiment's id, created with artifacts under the profile's
    artifact root (not ``./mlruns`` of whatever folder the user is in)."""
    c = client(settings)
    existing = c.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    root = settings.artifact_root
    location = (
        root.rstrip("/") + "/" + name if "://" in root else (Path(root, name).as_uri())
    )
    try:
        return c.create_experiment(name, artifact_location=location)
    except Exception:  # created concurrently
        found = c.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def dataset_tags(manifest_ids: dict[str, str]) -> dict[str, Any]:
    return {TAG_DATASET_PREFIX + role: mid for role, mid in manifest_ids.items()}
