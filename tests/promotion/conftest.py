"""Fixtures of the evaluation and promotion tests: trained worlds, once per
session per MLflow backend (SQLite file, or a real ``mlflow server`` on
PostgreSQL), and per test a fresh state store with the aliases cleared."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import pytest

from tests.helpers import environ
from tests.promotion import trainkit

BACKENDS = ["sqlite", "server"]


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory, telco_csv: Path) -> trainkit.World:
    with environ(ZEBRA_TRACKING_URI=None, ZEBRA_STATE_URL=None):
        return trainkit.world_once(
            "sqlite", lambda: tmp_path_factory.mktemp("world-sqlite"), telco_csv, None
        )


@pytest.fixture(scope="session")
def server_world(tmp_path_factory, telco_csv: Path, mlflow_server: str):
    with environ(ZEBRA_TRACKING_URI=mlflow_server, ZEBRA_STATE_URL=None):
        return trainkit.world_once(
            "server",
            lambda: tmp_path_factory.mktemp("world-server"),
            telco_csv,
            mlflow_server,
        )


def use_world(request, monkeypatch, tmp_path: Path, backend: str) -> trainkit.World:
    """Point this test at a world: its MLflow, a fresh state store, no alias."""
    from zebraops_core import tracking
    from zebraops_core.context import Context

    world = request.getfixturevalue(f"{backend}_world")
    if world.tracking_uri:
        monkeypatch.setenv("ZEBRA_TRACKING_URI", world.tracking_uri)
    else:
        monkeypatch.delenv("ZEBRA_TRACKING_URI", raising=False)
    if backend == "server":
        state_url = request.getfixturevalue("pg_database")
    else:
        state_url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("ZEBRA_STATE_URL", state_url)
    monkeypatch.setenv("ZEBRA_ACTOR", "pytest")
    monkeypatch.chdir(world.root)
    client = tracking.client(Context(project_dir=world.root).settings)
    for alias in ("prod", "staging"):
        with suppress(Exception):
            client.delete_registered_model_alias(trainkit.MODEL, alias)
    return world


@pytest.fixture(params=BACKENDS)
def world(request, monkeypatch, tmp_path: Path) -> trainkit.World:
    """Each test using it runs on SQLite and on the MLflow server."""
    return use_world(request, monkeypatch, tmp_path, request.param)


@pytest.fixture
def sqlite_only(request, monkeypatch, tmp_path: Path) -> trainkit.World:
    return use_world(request, monkeypatch, tmp_path, "sqlite")


@pytest.fixture
def ctx(world: trainkit.World):
    from zebraops_core.context import Context

    return Context(project_dir=world.root)
