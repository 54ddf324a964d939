"""Session fixtures shared by every area: real servers, started once.

Each slow server (mlflow, prefect, moto's S3) starts at most once per test
session, on loopback, and stops at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import environ, free_port, server_process

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


# -- Hygiene ---------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _quiet_environment() -> Iterator[None]:
    """No test talks to a real cloud or a Prefect API it did not start."""
    saved = dict(os.environ)
    for var in (
        "PREFECT_API_URL",
        "MLFLOW_TRACKING_URI",
        "ZEBRA_PROFILE",
        "ZEBRA_STATE_URL",
        "ZEBRA_PROJECT",
    ):
        os.environ.pop(var, None)
    os.environ.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        MLFLOW_ENABLE_ASYNC_LOGGING="false",
        GIT_PYTHON_REFRESH="quiet",
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def _fresh_plugin_manager() -> Iterator[None]:
    from zebraops_core.plugins import set_plugin_manager

    set_plugin_manager(None)
    yield
    set_plugin_manager(None)


# -- Data --------------------------------------------------------------------


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = Path(os.environ.get("ZEBRA_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (path / "telco-churn" / "telco_churn.csv").is_file():
        pytest.fail(f"shared test data not found at {path}; set ZEBRA_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def telco_csv(shared_data: Path) -> Path:
    return shared_data / "telco-churn" / "telco_churn.csv"


# -- PostgreSQL --------------------------------------------------------------


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:
        return False


def _create_db(prefix: str = "zebra_test") -> str:
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_db(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    if not _pg_available():
        pytest.fail("PostgreSQL is not answering on 127.0.0.1:5432 (dev.py starts it)")
    return True


@pytest.fixture(scope="session")
def postgres_url(postgres_available: bool) -> Iterator[str]:
    """A fresh database for the whole session."""
    name = _create_db()
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    _drop_db(name)


@pytest.fixture
def pg_database(postgres_available: bool) -> Iterator[str]:
    """A fresh database for one test."""
    name = _create_db()
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    _drop_db(name)


# -- Servers -----------------------------------------------------------------


def _env_with_bin(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """Endpoint URL of moto's S3 server on loopback; AWS env vars set."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with environ(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    ):
        yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def mlflow_server(postgres_available: bool, tmp_path_factory) -> Iterator[str]:
    """A real ``mlflow server`` with its backend on PostgreSQL."""
    db = _create_db("zebra_mlflow")
    artifacts = tmp_path_factory.mktemp("mlflow-artifacts")
    port = free_port()
    argv = [
        BIN / "mlflow",
        "server",
        "--backend-store-uri",
        f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}",
        "--artifacts-destination",
        artifacts,
        "--serve-artifacts",
        "--host",
        "127.0.0.1",
        "--port",
        port,
        "--workers",
        "1",
    ]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("mlflow-log") / "server.log"
    try:
        with server_process(argv, log=log, ready=f"{url}/health", env=_env_with_bin()):
            yield url
    finally:
        _drop_db(db)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> Iterator[str]:
    """A real ``prefect server start`` on loopback with its own home."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = _env_with_bin(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    env.pop("PREFECT_API_URL", None)
    argv = [BIN / "prefect", "server", "start", "--host", "127.0.0.1", "--port", port]
    url = f"http://127.0.0.1:{port}/api"
    with server_process(argv, log=home / "server.log", ready=f"{url}/health", env=env):
        yield url


@pytest.fixture
def churn_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of examples/tabular-churn; cwd set there."""
    src = ROOT / "examples" / "tabular-churn"
    dest = tmp_path / "churn-project"
    shutil.copytree(
        src,
        dest,
        ignore=shutil.ignore_patterns(
            "cached_data", ".zebraops", "mlruns", "__pycache__", "data"
        ),
    )
    monkeypatch.chdir(dest)
    monkeypatch.delenv("ZEBRA_PROJECT", raising=False)
    return dest


@pytest.fixture
def blank_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zebra) -> Path:
    dest = tmp_path / "blank-project"
    zebra("init", str(dest), "--example", "blank")
    monkeypatch.chdir(dest)
    return dest


class _Zebra:
    """Run the CLI in-process, as a user would from the shell."""

    def __call__(self, *args: str, ok: bool = True, input: str | None = None):
        from click.testing import CliRunner

        from zebraops_core.cli import cli

        runner = CliRunner()
        result = runner.invoke(
            cli, [str(a) for a in args], input=input, catch_exceptions=True
        )
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"zebra {' '.join(map(str, args))} exited {result.exit_code}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n"
                f"exception: {result.exception!r}"
            )
        return result


@pytest.fixture
def zebra() -> _Zebra:
    return _Zebra()


@pytest.fixture
def prometheus(tmp_path_factory):
    """Start a real Prometheus (Debian package) scraping given targets.

    ``prometheus(["127.0.0.1:9100"])`` returns its base URL; every server
    started is stopped at the end of the test.
    """
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed (dev.py test installs it)")
    servers = contextlib.ExitStack()

    def start(targets: list[str], interval: str = "1s") -> str:
        home = tmp_path_factory.mktemp("prometheus")
        config = home / "prometheus.yml"
        config.write_text(
            "global:\n"
            f"  scrape_interval: {interval}\n"
            f"  evaluation_interval: {interval}\n"
            "scrape_configs:\n"
            "  - job_name: zebra\n"
            "    static_configs:\n"
            f"      - targets: {targets!r}\n".replace("'", '"')
        )
        url = f"http://127.0.0.1:{free_port()}"
        argv = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
        ]
        log = home / "prometheus.log"
        servers.enter_context(
            server_process(argv, log=log, ready=f"{url}/-/ready", timeout=30)
        )
        return url

    with servers:
        yield start


@pytest.fixture
def pushgateway(tmp_path):
    """A real Prometheus Pushgateway (Debian package) on loopback; its URL."""
    binary = shutil.which("prometheus-pushgateway")
    if binary is None:
        pytest.fail("prometheus-pushgateway is not installed (dev.py test installs it)")
    url = f"http://127.0.0.1:{free_port()}"
    argv = [binary, f"--web.listen-address={url.removeprefix('http://')}"]
    log = tmp_path / "pushgateway.log"
    with server_process(argv, log=log, ready=f"{url}/-/ready", timeout=30):
        yield url
