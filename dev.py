#!/usr/bin/env python3
"""Set up and run ZebraOps from a fresh clone, with only Python installed.

    python3 dev.py demo [ZEBRA DEMO OPTIONS]   # the main job, embedded default
    python3 dev.py test [PYTEST OPTIONS]       # the whole test suite
    python3 dev.py install                     # just the development install

It creates ``.venv/`` next to this file, installs the core and every plugin
under ``plugins/`` in editable mode (once; again only when a pyproject.toml
changes) and, for ``test``, the Debian packages and services the tests use.
Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
#: Debian packages the tests start: Prometheus (with promtool) and its
#: Pushgateway.
DEBIAN_PACKAGES = ["prometheus", "prometheus-pushgateway"]


def say(message: str) -> None:
    print(f"[dev] {message}", file=sys.stderr, flush=True)


def run(*argv: str | Path, **kwargs) -> None:
    subprocess.run([str(a) for a in argv], check=True, **kwargs)


#: pip's complaint about a find-links folder of this machine's pip config
#: that does not exist: one line per package, hundreds per install.
PIP_NOISE = re.compile(r"WARNING: Location '.*' is ignored: it is neither a file")


def pip_install(*args: str) -> None:
    """``pip install -q ARGS`` in the venv, its noise filtered out."""
    proc = subprocess.Popen(
        [str(PY), "-m", "pip", "install", "-q", *args],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if not PIP_NOISE.match(line):
            sys.stderr.write(line)
    if proc.wait() != 0:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)


def editable_targets() -> list[str]:
    plugins = sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))
    return [str(ROOT), *[str(p) for p in plugins]]


def install_stamp(extras: str) -> str:
    digest = hashlib.sha256(extras.encode())
    for pyproject in sorted(ROOT.glob("**/pyproject.toml")):
        if ".venv" in pyproject.parts:
            continue
        digest.update(pyproject.read_bytes())
    return digest.hexdigest()


def ensure_venv(extras: str = "") -> None:
    """Create .venv and install core + plugins, unless already current."""
    if not PY.exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
        pip_install("--upgrade", "pip")
    stamp_file = VENV / ".zebraops-install"
    stamp = install_stamp(extras)
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    targets = editable_targets()
    core = f"{targets[0]}[{extras}]" if extras else targets[0]
    args = ["-e", core]
    for plugin in targets[1:]:
        args += ["-e", plugin]
    say("installing zebraops and its plugins (a few minutes the first time)")
    pip_install(*args)
    stamp_file.write_text(stamp)


def ensure_debian_packages() -> None:
    missing = [p for p in DEBIAN_PACKAGES if shutil.which(_binary(p)) is None]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        say(f"apt-get not found; tests needing {missing} will be skipped")
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    say(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(*sudo, "apt-get", "update", "-qq", env=env)
    run(
        *sudo,
        "apt-get",
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        *missing,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    # Debian may start the packaged services; tests run their own.
    for binary in ("prometheus", "prometheus-pushgateway"):
        subprocess.run([*sudo, "pkill", "-f", f"^/usr/bin/{binary}( |$)"], check=False)


def _binary(package: str) -> str:
    return {"prometheus": "promtool"}.get(package, package)


def ensure_postgres() -> None:
    """Start the machine's PostgreSQL cluster when it is installed but down."""
    if shutil.which("pg_isready") is None:
        say("PostgreSQL not installed; Postgres tests will be skipped")
        return
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0:
        return
    versions = (
        sorted(os.listdir("/etc/postgresql"))
        if os.path.isdir("/etc/postgresql")
        else []
    )
    if versions and shutil.which("pg_ctlcluster"):
        say(f"starting PostgreSQL {versions[-1]}")
        subprocess.run(
            [
                "pg_ctlcluster",
                "--skip-systemctl-redirect",
                versions[-1],
                "main",
                "start",
            ],
            check=False,
        )


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    what, rest = argv[0], argv[1:]
    env = dict(
        os.environ,
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(VENV),
    )
    if what == "install":
        ensure_venv("test")
        return 0
    if what == "demo":
        ensure_venv()
        return subprocess.run([str(BIN / "zebra"), "demo", *rest], env=env).returncode
    if what == "test":
        ensure_venv("test")
        ensure_debian_packages()
        ensure_postgres()
        cmd = [str(PY), "-m", "pytest", *rest]
        code = subprocess.run(cmd, cwd=ROOT, env=env).returncode
        return code
    say(f"unknown command {what!r}; expected demo, test or install")
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as exc:
        shown = " ".join(map(str, exc.cmd))
        say(f"failed (exit {exc.returncode}): {shown}; its output is above")
        sys.exit(exc.returncode or 1)
