"""Serving fixtures: a project with the churn model registered in real
MLflow (SQLite), a real ``zebra serve`` process, and in-process uvicorn
servers for variants (strict mode, hot swap, a regressor)."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.helpers import free_port, server_process, wait_http

ID_COLUMN = "customerID"
TARGET = "Churn"

BIN = Path(sys.executable).parent
TOKEN = "s3cret-token"
SALT = "pepper"


ROOT = Path(__file__).resolve().parents[2]


@attrs.define
class ServeProject:
    root: Path
    settings: Any
    #: (version, model URI) of churn's registered versions.
    versions: list[tuple[str, str]]

    def client(self):
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.settings.tracking_uri)


@pytest.fixture(scope="session")
def serve_project(tmp_path_factory, telco_csv: Path) -> ServeProject:
    """examples/tabular-churn with the Telco data ingested and churn trained
    twice by ``zebraops_core.training.train`` (versions 1, 2; @prod -> 1),
    the same two models registered as churn_swap (@prod -> 1), and a
    regressor whose output overflows to inf."""
    import mlflow

    from zebraops_core.context import Context
    from zebraops_core.datasets import ingest
    from zebraops_core.training import train

    root = tmp_path_factory.mktemp("serve") / "project"
    shutil.copytree(
        ROOT / "examples" / "tabular-churn",
        root,
        ignore=shutil.ignore_patterns(
            "cached_data", ".zebraops", "mlruns", "__pycache__", "data"
        ),
    )
    ctx = Context(project_dir=root)
    ingest(ctx, "telco_churn", source=str(telco_csv))
    versions = []
    for params in ({}, {"C": 0.05}):
        best = train(ctx, "churn", params=params or None, echo=False).best
        assert best is not None and best.model_version, "training registered nothing"
        versions.append((str(best.model_version), str(best.model_uri)))
    project = ServeProject(root, ctx.settings, versions)
    client = project.client()
    client.set_registered_model_alias("churn", "prod", versions[0][0])
    for _, uri in versions:
        mlflow.register_model(uri, "churn_swap")
    client.set_registered_model_alias("churn_swap", "prod", "1")
    _register_overflowing_regressor(ctx.settings)
    return project


def _register_overflowing_regressor(settings: Any) -> None:
    """A linear model whose output overflows to inf for large inputs."""
    import mlflow
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    from zebraops_core import tracking

    X = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    model = LinearRegression().fit(X, np.array([0.0, 1e300, 2e300]))
    exp = tracking.ensure_experiment(settings, "overflow")
    with mlflow.start_run(experiment_id=exp):
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(X, model.predict(X)),
            input_example=X,
            pip_requirements=["scikit-learn"],
        )
    mlflow.register_model(info.model_uri, "overflow")
    tracking.client(settings).set_registered_model_alias("overflow", "prod", "1")


@pytest.fixture(scope="session")
def telco_frame(telco_csv: Path):
    """Telco rows as clients send them: features plus the customerID."""
    import pandas as pd

    df = pd.read_csv(telco_csv)
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce")
    return df.drop(columns=[TARGET]).dropna().reset_index(drop=True)


def feature_columns(frame) -> list[str]:
    return [c for c in frame.columns if c != ID_COLUMN]


def records(frame) -> list[dict]:
    import json

    return json.loads(frame.to_json(orient="records"))


# -- Servers --------------------------------------------------------------------


@attrs.define
class Served:
    url: str
    headers: dict[str, str]
    project: ServeProject
    proc: Any = None
    log_dir: Path | None = None

    def post(
        self,
        body: Any = None,
        *,
        content: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ):
        import httpx

        merged = {**self.headers, **(headers or {})}
        if content is not None:
            return httpx.post(
                f"{self.url}/predict", content=content, headers=merged, timeout=30, **kw
            )
        return httpx.post(
            f"{self.url}/predict", json=body, headers=merged, timeout=30, **kw
        )

    def get(self, path: str):
        import httpx

        return httpx.get(f"{self.url}{path}", timeout=30)


@pytest.fixture(scope="session")
def served(serve_project: ServeProject, tmp_path_factory) -> Iterator[Served]:
    """``zebra serve churn`` as a real process: token, logging every row."""
    port = free_port()
    logs = tmp_path_factory.mktemp("serve-log")
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ZEBRA_SERVE_TOKEN=TOKEN,
        ZEBRA_SERVE_HASH_SALT=SALT,
    )
    argv = [
        BIN / "zebra",
        "--project",
        serve_project.root,
        "serve",
        "churn",
        "--port",
        port,
        "--poll-interval",
        "0.5",
        "--sample-rate",
        "1",
        "--log-flush-seconds",
        "0.2",
        "--hash-columns",
        ID_COLUMN,
        "--max-body-bytes",
        "3000000",
    ]
    url = f"http://127.0.0.1:{port}"
    with server_process(
        argv, log=logs / "server.log", ready=f"{url}/ready", env=env
    ) as proc:
        yield Served(
            url, {"Authorization": f"Bearer {TOKEN}"}, serve_project, proc, logs
        )


class ThreadServer:
    """A uvicorn server for one app, in a thread of the test process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("in-process uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def thread_served(project: ServeProject, **config: Any) -> tuple[ThreadServer, Served]:
    from zebraops_serve.app import create_app
    from zebraops_serve.config import ServeConfig

    cfg = ServeConfig(project_dir=str(project.root), **config)
    server = ThreadServer(create_app(cfg, project.settings))
    return server, Served(server.url, {}, project)


@pytest.fixture(scope="module")
def strict_served(serve_project: ServeProject) -> Iterator[Served]:
    server, served = thread_served(
        serve_project, model="churn", strict=True, poll_interval=0, max_body_bytes=1000
    )
    with server:
        wait_http(f"{served.url}/ready", timeout=60)
        yield served


@pytest.fixture(scope="module")
def overflow_served(serve_project: ServeProject) -> Iterator[Served]:
    server, served = thread_served(
        serve_project, model="overflow", poll_interval=0, batching=False
    )
    with server:
        wait_http(f"{served.url}/ready", timeout=60)
        yield served
