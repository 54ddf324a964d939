"""CLI conventions: lazy imports, exit codes, tracebacks only with --debug."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("mlflow", "prefect", "evidently", "sklearn", "fastapi", "pandas")


def _run(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _imported(stderr: str) -> set[str]:
    """Top-level packages named in `python -X importtime` output."""
    found = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            found.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return found


@pytest.mark.parametrize("argv", [["--help"], ["plugins"], ["plugins", "--json"]])
def test_light_commands_import_no_heavy_library(argv, tmp_path: Path):
    result = _run("-X", "importtime", "-m", "zebraops_core.cli", *argv, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    heavy = _imported(result.stderr) & set(HEAVY)
    assert heavy == set(), f"`zebra {' '.join(argv)}` imported {sorted(heavy)}"
    # Sanity check of the parsing: click is always imported.
    assert "click" in _imported(result.stderr)


def test_help_lists_core_commands(zebra):
    out = zebra("--help").stdout
    for name in (
        "init",
        "new",
        "doctor",
        "validate",
        "plugins",
        "list",
        "show",
        "reset",
    ):
        assert f"  {name} " in out


# -- Exit codes and tracebacks -------------------------------------------------


def test_usage_error_exits_2(zebra):
    result = zebra("init", "--example", "nope", ok=False)
    assert result.exit_code == 2
    assert "Invalid value for '--example'" in result.stderr


def test_no_project_is_a_config_error_exit_2(zebra, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = zebra("list", "models", ok=False)
    assert result.exit_code == 2
    assert "Error: no zebra.yaml in" in result.stderr
    assert "Hint: run `zebra init`" in result.stderr


def test_failed_operation_exits_1(zebra, blank_project):
    result = zebra("show", "model", "nope", ok=False)
    assert result.exit_code == 1
    assert "Error: no model 'nope' in models (models: none)" in result.stderr


def test_traceback_only_with_debug(blank_project: Path):
    plain = _run("-m", "zebraops_core.cli", "show", "model", "nope", cwd=blank_project)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert plain.stderr.startswith("Error: no model 'nope'")

    debug = _run(
        "-m", "zebraops_core.cli", "--debug", "show", "model", "nope", cwd=blank_project
    )
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "NotFound: no model 'nope'" in debug.stderr


def test_broken_spec_is_located_exit_2_without_traceback(blank_project: Path):
    folder = blank_project / "models" / "churn"
    folder.mkdir()
    (folder / "model.yaml").write_text(
        "name: churn\nentrypoint: train.py\ndatasets: {train: t, valid: t}\n"
        "metrics:\n  - name: auc\n    direction: up\n"
    )
    result = _run(
        "-m", "zebraops_core.cli", "show", "model", "churn", cwd=blank_project
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "Error: models/churn/model.yaml:6: metrics[0].direction: "
        "expected maximize or minimize, got 'up'"
    )
    assert "Traceback" not in result.stderr


def test_unexpected_error_is_one_line_without_debug(zebra, blank_project):
    (blank_project / "zebra.yaml").write_text("name: [unclosed\n")
    # The profile loader reads zebra.yaml: a YAML error is a SpecError (2).
    result = zebra("doctor", "--json", ok=False)
    assert result.exit_code == 1
    assert "zebra.yaml:" in result.stdout
