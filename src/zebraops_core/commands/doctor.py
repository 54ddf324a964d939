"""``zebra doctor``: check that everything the project needs works.

Each check returns a :class:`Check`: ``ok``, ``warn`` (works, but something
optional is missing), ``fail`` (with the fix) or ``skip`` (an earlier check
failed). Nothing here imports MLflow, Prefect or Evidently: servers are
asked over HTTP.
"""

from __future__ import annotations

import shutil
import socket
import sys
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import click

from ..cli.output import echo_json
from ..errors import ZebraError

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
SUPPORTED_PYTHON = ((3, 10), (3, 13))
PORTS = {5000: "an MLflow server", 8000: "`zebra serve`"}
HTTP_TIMEOUT = 3.0


@attrs.frozen
class Check:
    name: str
    status: str
    detail: str
    fix: str | None = None


def check_python() -> Check:
    version = sys.version_info[:2]
    shown = ".".join(map(str, sys.version_info[:3]))
    low, high = SUPPORTED_PYTHON
    if low <= version <= high:
        return Check("python", OK, f"Python {shown}")
    return Check(
        "python",
        FAIL,
        f"Python {shown} is not supported",
        "use Python 3.10 to 3.13 (e.g. `uv venv -p 3.12`)",
    )


def check_plugins() -> Check:
    from ..plugins import (
        KINDS,
        ZebraPluginWarning,
        describe_plugins,
        get_plugin_manager,
        implementations,
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ZebraPluginWarning)
        pm = get_plugin_manager()
    broken = [str(w.message) for w in caught if w.category is ZebraPluginWarning]
    try:
        found = {kind: implementations(kind, pm) for kind in KINDS}
    except ZebraError as exc:
        fix = exc.hint or "fix or uninstall the named plugin, or disable it with "
        return Check(
            "plugins",
            FAIL,
            exc.message,
            fix + ("" if exc.hint else "ZEBRA_DISABLE_PLUGINS=<name>"),
        )
    names = [i.name for i in describe_plugins(pm)]
    types = sum(len(v) for v in found.values())
    detail = f"{len(names)} plugin(s), {types} type name(s)"
    if broken:
        return Check(
            "plugins",
            WARN,
            detail + "; " + "; ".join(broken),
            "reinstall the named plugin, or disable it with ZEBRA_DISABLE_PLUGINS",
        )
    missing = [t for t in ("python", "notebook") if t not in found["runner"]]
    if missing:
        return Check(
            "plugins",
            WARN,
            detail + f"; no runner for model type {', '.join(missing)}",
            "pip install " + " ".join(f"zebraops-{t}" for t in missing),
        )
    return Check("plugins", OK, detail)


def check_project(ctx: Any) -> Check:
    project = ctx.project  # ProjectNotFound becomes a failure in run_checks
    missing = [
        project.relative(d)
        for d in (project.models_dir, project.data_sources_dir, project.profiles_dir)
        if not d.is_dir()
    ]
    if missing:
        return Check(
            "project",
            FAIL,
            f"{project.root}: missing {', '.join(missing)}/",
            "create the folders (or scaffold with `zebra init` in a new folder)",
        )
    ignore = project.root / ".gitignore"
    text = ignore.read_text("utf-8") if ignore.is_file() else ""
    unignored = [d for d in (".zebraops/", "cached_data/") if d not in text]
    detail = (
        f"{project.root} ({len(project.model_names())} model(s), "
        f"{len(project.dataset_ids())} dataset(s))"
    )
    if unignored:
        return Check(
            "project",
            WARN,
            detail + f"; not git-ignored: {', '.join(unignored)}",
            f"add {' and '.join(unignored)} to {project.relative(ignore)}",
        )
    return Check("project", OK, detail)


def check_specs(ctx: Any) -> Check:
    from ..specs.validate import validate_project

    reports = validate_project(ctx.project)
    problems = [p for r in reports for p in r.problems]
    notes = [w for r in reports for w in r.warnings]
    detail = f"{len(reports)} file(s) checked"
    if problems:
        return Check(
            "specs",
            FAIL,
            detail + ":\n" + "\n".join(problems),
            "fix the fields named above; `zebra validate` re-checks them",
        )
    if notes:
        return Check(
            "specs",
            WARN,
            detail + ":\n" + "\n".join(notes),
            "add the missing dataset definitions to data_sources/",
        )
    return Check("specs", OK, detail)


def check_settings(ctx: Any) -> Check:
    s = ctx.settings
    mode = "embedded" if s.embedded else "Prefect server"
    return Check("profile", OK, f"profile '{s.profile.name}' ({mode})")


def check_state(ctx: Any) -> Check:
    from ..state import HEAD_REVISION, open_store

    store = open_store(ctx.settings.state_url)
    return Check(
        "state",
        OK,
        f"{store.safe_url} ({store.dialect}, migrated to {HEAD_REVISION})",
    )


def _http_ok(url: str) -> tuple[bool, str]:
    from urllib.error import URLError
    from urllib.request import urlopen

    try:
        with urlopen(url, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            return 200 <= response.status < 300, f"HTTP {response.status}"
    except URLError as exc:
        return False, str(getattr(exc, "reason", exc))
    except (OSError, ValueError) as exc:
        return False, str(exc)


def _writable(folder: Path) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f".zebra-doctor-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
        return True
    except OSError:
        return False


def _port(url: str) -> int:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def check_tracking(ctx: Any) -> Check:
    uri = ctx.settings.tracking_uri
    if uri.startswith(("http://", "https://")):
        ok, why = _http_ok(uri.rstrip("/") + "/health")
        if ok:
            return Check("mlflow", OK, f"{uri} answers /health")
        return Check(
            "mlflow",
            FAIL,
            f"{uri} does not answer /health: {why}",
            f"start the server (`mlflow server --port {_port(uri)}`), or set "
            "tracking_uri in the profile / ZEBRA_TRACKING_URI",
        )

    # SQLite and file stores: the folder holding them must be writable.
    if uri.startswith("sqlite:///"):
        folder = Path(uri[len("sqlite:///") :]).parent
    elif "://" not in uri or uri.startswith("file://"):
        folder = Path(uri.removeprefix("file://"))
    else:
        return Check("mlflow", SKIP, f"{uri}: no check for this scheme")
    if _writable(folder):
        return Check("mlflow", OK, f"{uri} (folder writable)")
    return Check(
        "mlflow", FAIL, f"{folder} is not writable", f"fix the permissions of {folder}"
    )


def check_prefect(ctx: Any) -> Check:
    url = ctx.settings.prefect_api_url
    if not url:
        return Check("prefect", OK, "embedded mode: flows run in-process, no server")
    ok, why = _http_ok(url.rstrip("/") + "/health")
    if ok:
        return Check("prefect", OK, f"{url} answers /health")
    return Check(
        "prefect",
        FAIL,
        f"{url} does not answer /health: {why}",
        "start it (`prefect server start`), or unset "
        "prefect_api_url / ZEBRA_PREFECT_API_URL for embedded mode",
    )


def check_object_store(ctx: Any) -> Check:
    import fsspec

    settings = ctx.settings
    root = settings.object_store
    probe = settings.object_uri(f".zebra-doctor-{uuid.uuid4().hex}")
    try:
        fs, path = fsspec.core.url_to_fs(probe, **settings.storage_options)
        if "://" not in root:
            Path(root).mkdir(parents=True, exist_ok=True)
        with fs.open(path, "wb") as handle:
            handle.write(b"ok")
        fs.rm(path)
    except ImportError as exc:
        return Check(
            "object store",
            FAIL,
            f"{root}: {exc}",
            "install the fsspec backend named above (e.g. s3fs)",
        )
    except Exception as exc:  # any backend error means no write access
        return Check(
            "object store",
            FAIL,
            f"cannot write to {root}: {type(exc).__name__}: {exc}",
            "check object_store, storage_options and the credentials in the "
            "environment (AWS_ACCESS_KEY_ID...)",
        )
    return Check("object store", OK, f"{root} (write + delete)")


def check_docker() -> Check:
    docker = shutil.which("docker")
    if docker:
        return Check("docker", OK, f"{docker} (only the Docker compose stack needs it)")
    return Check(
        "docker",
        WARN,
        "docker not found (only the Docker compose stack needs it)",
        "install Docker to run the shared stack locally; everything else works "
        "without it",
    )


def check_ports() -> Check:
    busy = []
    for port, used_by in PORTS.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                busy.append(f"{port} ({used_by})")
    if busy:
        return Check(
            "ports",
            WARN,
            f"in use: {', '.join(busy)}",
            "stop what listens there, or pass --port to `zebra serve`",
        )
    return Check("ports", OK, "5000 and 8000 are free")


def run_checks(ctx: Any) -> list[Check]:
    """Every check, in order; project checks are skipped without a project."""
    checks: list[Check] = [check_python()]
    steps: list[tuple[str, Callable[[], Check]]] = [
        ("plugins", check_plugins),
        ("project", lambda: check_project(ctx)),
        ("specs", lambda: check_specs(ctx)),
        ("profile", lambda: check_settings(ctx)),
        ("state", lambda: check_state(ctx)),
        ("mlflow", lambda: check_tracking(ctx)),
        ("prefect", lambda: check_prefect(ctx)),
        ("object store", lambda: check_object_store(ctx)),
    ]
    needs = {
        "project": "specs profile state mlflow prefect object store",
        "profile": "state mlflow prefect object store",
    }
    skipped: dict[str, str] = {}
    for name, step in steps:
        if name in skipped:
            checks.append(Check(name, SKIP, f"skipped: {skipped[name]} failed"))
            continue
        try:
            result = step()
        except ZebraError as exc:
            result = Check(name, FAIL, exc.message, exc.hint)
        checks.append(result)
        if result.status == FAIL and name in needs:
            for other in (
                "specs",
                "profile",
                "state",
                "mlflow",
                "prefect",
                "object store",
            ):
                if other in needs[name]:
                    skipped.setdefault(other, name)
    checks += [check_docker(), check_ports()]
    return checks


SYMBOLS = {
    OK: ("✓", "green"),
    WARN: ("!", "yellow"),
    FAIL: ("✗", "red"),
    SKIP: ("-", "bright_black"),
}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_obj
def doctor(ctx, as_json: bool) -> None:
    """Check Python, plugins, the project and its specs, the state store,
    MLflow, Prefect, the object store, Docker and free ports.

    Every failure says how to fix it. Exit code 1 when a check fails
    (warnings do not fail).
    """
    checks = run_checks(ctx)
    failed = [c for c in checks if c.status == FAIL]
    if as_json:
        echo_json({"ok": not failed, "checks": [attrs.asdict(c) for c in checks]})
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            symbol, color = SYMBOLS[c.status]
            first, *rest = c.detail.splitlines() or [""]
            click.echo(
                click.style(symbol, fg=color) + f" {c.name.ljust(width)}  {first}"
            )
            for line in rest:
                click.echo(" " * (width + 4) + line)
            if c.fix and c.status in (FAIL, WARN):
                click.echo(" " * (width + 4) + click.style(f"fix: {c.fix}", fg=color))
        warned = sum(1 for c in checks if c.status == WARN)
        summary = (
            f"{len(failed)} check(s) failed"
            if failed
            else "everything works" + (f" ({warned} warning(s))" if warned else "")
        )
        click.secho(summary, fg="red" if failed else "green", err=True)
    if failed:
        raise click.exceptions.Exit(1)
