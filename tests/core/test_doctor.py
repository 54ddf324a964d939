"""`zebra doctor` against real services: a healthy embedded project, and
each failure with its fix."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import free_port
from tests.plugins import duplicate_connector, sample_connectors, sample_runners
from zebraops_core.plugins import make_plugin_manager, set_plugin_manager


@pytest.fixture(autouse=True)
def sample_plugins() -> None:
    """Doctor checks plugins it is given, not what other areas install."""
    set_plugin_manager(
        make_plugin_manager(
            entrypoints=False, extra=(sample_connectors, sample_runners)
        )
    )


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        code = 200 if self.path.endswith("/health") else 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[str]:
    """A real HTTP server answering /health, like MLflow's and Prefect's."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _checks(result) -> dict[str, dict]:
    report = json.loads(result.stdout)
    return {c["name"]: c for c in report["checks"]}


def test_embedded_project_is_healthy(zebra, blank_project: Path):
    result = zebra("doctor")
    assert "everything works" in result.stderr
    checks = _checks(zebra("doctor", "--json"))
    for name in (
        "python",
        "plugins",
        "project",
        "specs",
        "profile",
        "state",
        "mlflow",
        "prefect",
        "object store",
    ):
        assert checks[name]["status"] == "ok", checks[name]
    assert "embedded mode" in checks["prefect"]["detail"]
    assert checks["docker"]["status"] in ("ok", "warn")
    assert checks["ports"]["status"] in ("ok", "warn")
    assert (blank_project / ".zebraops" / "state.db").is_file()
    # The object store probe leaves nothing behind.
    assert list((blank_project / "cached_data").iterdir()) == []


def test_broken_spec_fails_with_its_location(zebra, blank_project: Path):
    zebra("new", "model", "m")
    spec = blank_project / "models" / "m" / "model.yaml"
    spec.write_text(spec.read_text().replace("accelerator: cpu", "accelerator: tpu"))
    result = zebra("doctor", ok=False)
    assert result.exit_code == 1
    assert (
        "models/m/model.yaml:13: resources.accelerator: expected cpu or gpu, "
        "got 'tpu'" in result.stdout
    )
    assert "fix: fix the fields named above" in result.stdout


def test_unreachable_services_fail_with_fixes(zebra, blank_project, monkeypatch):
    port = free_port()
    monkeypatch.setenv("ZEBRA_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ZEBRA_PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    monkeypatch.setenv("ZEBRA_STATE_URL", f"postgresql://postgres@127.0.0.1:{port}/x")
    result = zebra("doctor", "--json", ok=False)
    assert result.exit_code == 1
    checks = _checks(result)
    assert json.loads(result.stdout)["ok"] is False
    for name in ("mlflow", "prefect", "state"):
        assert checks[name]["status"] == "fail", checks[name]
        assert checks[name]["fix"]
    assert "does not answer /health" in checks["mlflow"]["detail"]
    assert "`mlflow server --port" in checks["mlflow"]["fix"]
    assert "ZEBRA_STATE_URL" in checks["state"]["fix"]
    text = zebra("doctor", ok=False).stdout
    assert "fix: start the server (`mlflow server --port" in text


def test_reachable_servers_pass(zebra, blank_project, monkeypatch, health_server):
    monkeypatch.setenv("ZEBRA_TRACKING_URI", health_server)
    monkeypatch.setenv("ZEBRA_PREFECT_API_URL", health_server + "/api")
    checks = _checks(zebra("doctor", "--json"))
    assert checks["mlflow"]["status"] == "ok"
    assert checks["prefect"]["status"] == "ok"
    assert checks["profile"]["detail"] == "profile 'local' (Prefect server)"


def test_postgres_state_store(zebra, blank_project, monkeypatch, pg_database):
    monkeypatch.setenv("ZEBRA_STATE_URL", pg_database)
    checks = _checks(zebra("doctor", "--json"))
    assert checks["state"]["status"] == "ok"
    assert "postgresql" in checks["state"]["detail"]


def test_object_store_on_s3(zebra, blank_project: Path, moto_s3: str):
    import boto3

    boto3.client("s3", endpoint_url=moto_s3).create_bucket(Bucket="zebra-doctor")
    (blank_project / "profiles" / "s3.yaml").write_text(
        "object_store: s3://zebra-doctor/project\n"
        f"storage_options:\n  client_kwargs:\n    endpoint_url: {moto_s3}\n"
    )
    checks = _checks(zebra("--profile", "s3", "doctor", "--json"))
    assert checks["object store"]["status"] == "ok", checks["object store"]
    listed = boto3.client("s3", endpoint_url=moto_s3).list_objects_v2(
        Bucket="zebra-doctor"
    )
    assert listed.get("KeyCount", 0) == 0  # the probe was deleted

    (blank_project / "profiles" / "s3.yaml").write_text(
        "object_store: s3://no-such-bucket/project\n"
        f"storage_options:\n  client_kwargs:\n    endpoint_url: {moto_s3}\n"
    )
    result = zebra("--profile", "s3", "doctor", "--json", ok=False)
    store = _checks(result)["object store"]
    assert store["status"] == "fail"
    assert "cannot write to s3://no-such-bucket/project" in store["detail"]
    assert "credentials" in store["fix"]


def test_duplicate_plugins_fail_naming_both(zebra, blank_project: Path):
    set_plugin_manager(
        make_plugin_manager(
            entrypoints=False,
            extra=(sample_connectors, duplicate_connector, sample_runners),
        )
    )
    result = zebra("doctor", "--json", ok=False)
    plugins = _checks(result)["plugins"]
    assert plugins["status"] == "fail"
    assert "tests.plugins.sample_connectors" in plugins["detail"]
    assert "tests.plugins.duplicate_connector" in plugins["detail"]


def test_missing_runner_plugin_is_a_warning(zebra, blank_project: Path):
    set_plugin_manager(
        make_plugin_manager(entrypoints=False, extra=(sample_connectors,))
    )
    plugins = _checks(zebra("doctor", "--json"))["plugins"]
    assert plugins["status"] == "warn"
    assert plugins["fix"] == "pip install zebraops-python zebraops-notebook"


def test_outside_a_project(zebra, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = zebra("doctor", "--json", ok=False)
    checks = _checks(result)
    assert checks["project"]["status"] == "fail"
    assert "zebra init" in checks["project"]["fix"]
    assert checks["state"]["status"] == "skip"
    assert checks["python"]["status"] == "ok"
