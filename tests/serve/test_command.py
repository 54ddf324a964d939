"""The ``zebra serve`` command: registered by the plugin, light to load,
clear errors before any server starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port, server_process

BIN = Path(sys.executable).parent


def test_plugin_registers_the_serve_command() -> None:
    from zebraops_core.plugins import implementations

    plugin, target = implementations("command")["serve"]
    assert plugin == "serve" and target == "zebraops_serve.command:serve"


def test_serve_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from zebraops_core.cli import cli\n"
        "try:\n"
        "    cli.main(['serve', '--help'], prog_name='zebra')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('mlflow', 'fastapi', 'uvicorn', 'pandas', 'sklearn')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "--max-batch-rows" in out.stdout and "--sample-rate" in out.stdout
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


@pytest.mark.slow
def test_unknown_model_and_alias_fail_before_serving(serve_project, zebra) -> None:
    root = str(serve_project.root)
    result = zebra("--project", root, "serve", "nosuch", ok=False)
    assert result.exit_code == 1
    assert "no registered model 'nosuch'" in result.stderr
    assert "zebra train nosuch" in result.stderr
    result = zebra("--project", root, "serve", "churn", "--alias", "gold", ok=False)
    assert result.exit_code == 1
    assert "has no alias 'gold'" in result.stderr
    result = zebra("--project", root, "serve", "churn", "--sample-rate", "2", ok=False)
    assert result.exit_code == 2


def test_port_in_use_is_a_clear_error(blank_project, zebra) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = zebra("serve", "churn", "--port", str(port), ok=False)
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")
def test_workers_serve_the_same_predictions(
    serve_project, served, telco_frame, tmp_path
):
    """`--workers 2`: two uvicorn worker processes, each with the model, give
    the single-worker server's answers."""
    import os

    import httpx

    from .conftest import feature_columns, records

    port = free_port()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("ZEBRA_SERVE_TOKEN", None)
    argv = [BIN / "zebra", "--project", serve_project.root, "serve", "churn"]
    argv += ["--workers", "2", "--port", port, "--poll-interval", "0"]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with server_process(argv, log=log, ready=f"{url}/ready", env=env) as proc:
        rows = records(telco_frame[feature_columns(telco_frame)].head(25))
        answers = [
            httpx.post(f"{url}/predict", json={"dataframe_records": rows}, timeout=30)
            for _ in range(6)
        ]
        workers = _children(proc.pid)
    assert len(workers) >= 2, f"expected two worker processes, found {workers}"
    expected = served.post({"dataframe_records": rows}).json()["predictions"]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == expected
