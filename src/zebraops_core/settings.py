"""Profiles: where a project's state, runs, data and compute live.

A profile is ``profiles/<name>.yaml`` in the project. ``ZEBRA_*`` environment
variables (and a project ``.env`` file, which never overrides the real
environment) override its fields. ``local`` works with no file at all: the
embedded default, with no server and no Docker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from .errors import ConfigError
from .project import Project

PROFILE_ENV = "ZEBRA_PROFILE"
BUILTIN_PROFILES = ("local", "shared", "vast", "sagemaker", "vertex")


@attrs.frozen
class Profile:
    name: str = "local"
    #: Compute adapter running training jobs.
    compute: str = "local"
    #: MLflow tracking URI; default: SQLite under .zebraops/.
    tracking_uri: str | None = None
    #: Where MLflow stores artifacts for experiments ZebraOps creates.
    artifact_root: str | None = None
    #: SQLAlchemy URL of the state store; default: SQLite under .zebraops/.
    state_url: str | None = None
    #: fsspec root for materialized data and reports (local or s3://...).
    object_store: str | None = None
    #: fsspec storage options (e.g. client_kwargs.endpoint_url for MinIO).
    storage_options: dict[str, Any] = attrs.field(factory=dict)
    #: Prefect API; None runs flows in-process with no server.
    prefect_api_url: str | None = None
    #: Adapter-specific settings (instance types, images, regions...).
    compute_options: dict[str, Any] = attrs.field(factory=dict)


#: Profile field -> environment variable overriding it.
ENV_OVERRIDES = {
    "compute": "ZEBRA_COMPUTE",
    "tracking_uri": "ZEBRA_TRACKING_URI",
    "artifact_root": "ZEBRA_ARTIFACT_ROOT",
    "state_url": "ZEBRA_STATE_URL",
    "object_store": "ZEBRA_OBJECT_STORE",
    "prefect_api_url": "ZEBRA_PREFECT_API_URL",
}


@attrs.frozen
class Settings:
    """A profile resolved against a project: every location absolute."""

    project: Project
    profile: Profile
    tracking_uri: str
    artifact_root: str
    state_url: str
    object_store: str
    prefect_api_url: str | None

    @property
    def embedded(self) -> bool:
        """True when flows run in-process, with no Prefect server."""
        return not self.prefect_api_url

    @property
    def storage_options(self) -> dict[str, Any]:
        return dict(self.profile.storage_options)

    def object_uri(self, *parts: str) -> str:
        return "/".join([self.object_store.rstrip("/"), *parts])


def load_dotenv(project: Project) -> None:
    env_file = project.root / ".env"
    if env_file.is_file():
        from dotenv import load_dotenv as _load

        _load(env_file, override=False)


def load_profile(project: Project, name: str | None = None) -> Profile:
    from .specs.loader import read_yaml, structure

    name = (
        name
        or os.environ.get(PROFILE_ENV)
        or project.config.get("default_profile", "local")
    )
    path = project.profiles_dir / f"{name}.yaml"
    if path.is_file():
        display = project.relative(path)
        raw = read_yaml(path, display=display) or {}
        data = dict(raw)
        data.setdefault("name", name)
        profile = structure(data, Profile, display=display, raw_for_lines=raw)
    elif name == "local":
        profile = Profile()
    else:
        known = sorted(
            {p.stem for p in project.profiles_dir.glob("*.yaml")} | {"local"}
        )
        raise ConfigError(
            f"unknown profile '{name}' (profiles: {', '.join(known)})",
            hint=f"create {project.relative(project.profiles_dir)}/{name}.yaml",
        )
    overrides = {
        field: os.environ[var]
        for field, var in ENV_OVERRIDES.items()
        if os.environ.get(var)
    }
    return attrs.evolve(profile, **overrides) if overrides else profile


def resolve(project: Project, profile_name: str | None = None) -> Settings:
    """The settings for ``project`` under a profile (default: local)."""
    load_dotenv(project)
    profile = load_profile(project, profile_name)
    state = project.state_dir

    def local(path: Path) -> str:
        return str(path)

    tracking = profile.tracking_uri or f"sqlite:///{state / 'mlflow.db'}"
    artifacts = profile.artifact_root or local(state / "mlartifacts")
    state_url = profile.state_url or f"sqlite:///{state / 'state.db'}"
    store = profile.object_store or local(project.cached_data_dir)
    if "://" not in store and not Path(store).is_absolute():
        store = local(project.root / store)
    prefect = profile.prefect_api_url or os.environ.get("PREFECT_API_URL") or None
    return Settings(
        project=project,
        profile=profile,
        tracking_uri=tracking,
        artifact_root=artifacts,
        state_url=state_url,
        object_store=store,
        prefect_api_url=prefect,
    )
