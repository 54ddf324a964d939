"""Nox sessions: tests, lint, demo.

    nox                      # lint and tests, each in a fresh venv
    nox -s tests -- -k spec  # arguments after -- go to pytest
    nox -s demo
    nox --no-venv -s lint    # use the current environment (e.g. .venv/)

Fresh venvs install the core and every plugin under plugins/ in editable
mode, like `python dev.py install`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


def python(session: nox.Session) -> str:
    """The session's interpreter: this one under --no-venv."""
    return sys.executable if session.venv_backend == "none" else "python"


def install_zebraops(session: nox.Session, extras: str = "") -> None:
    """Core and plugins, editable; nothing when running without a venv."""
    if session.venv_backend == "none":
        return
    plugins = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
    args = ["-e", f".{extras}"]
    for plugin in plugins:
        args += ["-e", str(plugin.relative_to(ROOT))]
    session.install(*args)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite (needs PostgreSQL on 127.0.0.1:5432)."""
    install_zebraops(session, "[test]")
    session.run(python(session), "-m", "pytest", *(session.posargs or ["-q"]))


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the repository."""
    if session.venv_backend != "none":
        session.install("ruff>=0.6")
    session.run(python(session), "-m", "ruff", "check", ".")
    session.run(python(session), "-m", "ruff", "format", "--check", ".")


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """`zebra demo`: the whole loop on the embedded default, in a temp dir."""
    install_zebraops(session)
    session.chdir(session.create_tmp())
    session.run(python(session), "-m", "zebraops_core.cli", "demo", *session.posargs)
