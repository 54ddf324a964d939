"""The ``zebra`` command line.

Subcommands load lazily: ``zebra --help`` imports neither MLflow, Prefect nor
Evidently. Domain errors become one ClickException style here and nowhere
else; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import ZebraError

log = logging.getLogger(__name__)

#: Core commands: name -> (module under zebraops_core.commands, short help).
CORE_COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init:init", "Scaffold a ZebraOps project."),
    "new": ("init:new", "Add a model skeleton to the project."),
    "doctor": ("doctor:doctor", "Check that everything the project needs works."),
    "validate": ("validate:validate", "Check specs, definitions and manifests."),
    "plugins": ("plugins:plugins", "List installed plugins and what they provide."),
    "list": ("listing:list_", "List models, datasets or runs."),
    "show": ("listing:show", "Show one dataset or model in detail."),
    "reset": ("reset:reset", "Wipe local state and caches of the embedded default."),
    "ingest": ("ingest:ingest", "Turn a data source into a versioned manifest."),
    "train": ("train:train", "Train a model under the runner contract."),
    "eval": ("eval:eval_", "Evaluate a run on its datasets and log the report."),
    "promote": ("promote:promote", "Move an alias to a run's model through gates."),
    "rollback": ("promote:rollback", "Point an alias back at an earlier version."),
    "history": ("promote:history", "Print a model's promotion ledger."),
    "monitor": ("monitor:monitor", "Check current data for drift from training."),
    "retrain": ("retrain:retrain", "Monitor, then retrain and promote if needed."),
    "schedule": ("retrain:schedule", "Schedule flows on a Prefect server."),
    "labels": ("labels:labels", "Join ground-truth labels to predictions."),
    "metrics": ("metrics:metrics", "Expose monitoring results to Prometheus."),
    "demo": ("demo:demo", "Run the whole loop on the embedded default."),
}


class ZebraClickError(click.ClickException):
    """The one error style of the CLI."""

    def __init__(self, message: str, *, hint: str | None = None, code: int = 1):
        super().__init__(message)
        self.hint = hint
        self.exit_code = code

    def show(self, file: Any = None) -> None:
        err = file or sys.stderr
        click.secho("Error: ", fg="red", bold=True, nl=False, err=True, file=err)
        click.echo(self.format_message(), err=True, file=err)
        if self.hint:
            click.echo(f"Hint: {self.hint}", err=True, file=err)


def _resolve(path: str, package: str | None = None) -> click.Command:
    module_name, _, attr = path.partition(":")
    if package:
        module_name = f"{package}.{module_name}"
    module = importlib.import_module(module_name)
    return getattr(module, attr)


class LazyGroup(click.Group):
    """A group whose commands are imported only when used.

    Only the root group (``plugins=True``) adds the commands plugins return
    from ``register_commands``; nested groups (``list``, ``show``) do not.
    """

    def __init__(
        self,
        *args: Any,
        lazy: dict[str, tuple[str, str]] | None = None,
        package: str | None = None,
        plugins: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self.package = package
        self.plugins = plugins
        self._plugin_commands: dict[str, str] | None = None
        self._plugin_pm: Any = None

    def plugin_commands(self) -> dict[str, str]:
        """Commands from ``register_commands``, per plugin manager (tests
        and embedding applications may swap the manager)."""
        if not self.plugins:
            return {}
        from ..plugins import get_plugin_manager, implementations

        pm = get_plugin_manager()
        if self._plugin_commands is not None and self._plugin_pm is pm:
            return self._plugin_commands
        self._plugin_pm = pm
        self._plugin_commands = {}
        try:
            found = implementations("command", pm)
        except ZebraError as exc:
            click.secho(f"Warning: {exc}", fg="yellow", err=True)
            found = {}
        for name, (plugin, target) in found.items():
            if name in self.lazy:
                click.secho(
                    f"Warning: plugin '{plugin}' tries to replace core "
                    f"command '{name}'; ignored",
                    fg="yellow",
                    err=True,
                )
                continue
            self._plugin_commands[name] = target
        return self._plugin_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(self.commands) | set(self.lazy) | set(self.plugin_commands())
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        if name in self.lazy:
            return _resolve(self.lazy[name][0], self.package)
        target = self.plugin_commands().get(name)
        if target is None:
            return None
        try:
            return _resolve(target)
        except Exception as exc:
            click.secho(
                f"Warning: command '{name}' from a plugin failed to load: {exc}",
                fg="yellow",
                err=True,
            )
            return None

    def format_commands(self, ctx: click.Context, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                rows.append((name, self.lazy[name][1]))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=60)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZebraError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            raise ZebraClickError(
                exc.message, hint=exc.hint, code=exc.exit_code
            ) from None
        except (
            click.exceptions.ClickException,
            click.exceptions.Exit,
            click.exceptions.Abort,
        ):
            raise
        except Exception as exc:
            # A bug, not bad input: one line, the traceback only on request.
            if ctx.find_root().params.get("debug") or ctx.parent is not None:
                raise
            log.debug("unexpected error", exc_info=True)
            raise ZebraClickError(
                f"unexpected {type(exc).__name__}: {exc}",
                hint="run again with --debug for the traceback, and report it",
                code=1,
            ) from None


def configure_logging(verbose: int, debug: bool) -> None:
    """Configure logging once, for the CLI process only."""
    from rich.logging import RichHandler

    level = logging.DEBUG if debug else (logging.INFO if verbose else logging.WARNING)
    handler = RichHandler(
        console=_stderr_console(),
        show_path=debug,
        show_time=debug,
        rich_tracebacks=debug,
    )
    logging.basicConfig(
        level=logging.WARNING, handlers=[handler], format="%(message)s", force=True
    )
    logging.getLogger("zebraops_core").setLevel(level)
    logging.getLogger("zebraops").setLevel(level)
    for noisy in ("alembic", "mlflow", "prefect", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(
            logging.WARNING if not debug else logging.INFO
        )
    # MLflow configures its own loggers when imported: tell it through its
    # environment variables, before anything imports it.
    if not debug:
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@click.group(
    cls=LazyGroup,
    lazy=CORE_COMMANDS,
    package="zebraops_core.commands",
    plugins=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="zebra")
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ZEBRA_PROJECT",
    help="Project folder (default: search up from here).",
)
@click.option(
    "--profile",
    "profile_name",
    envvar="ZEBRA_PROFILE",
    help="Profile from profiles/ (default: local).",
)
@click.option("-v", "--verbose", count=True, help="More diagnostics on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(
    ctx: click.Context,
    project_dir: Path | None,
    profile_name: str | None,
    verbose: int,
    debug: bool,
) -> None:
    """ZebraOps: datasets, runs, gates, serving and drift around your own
    train.py or train.ipynb."""
    from ..context import Context

    configure_logging(verbose, debug)
    ctx.obj = Context(project_dir=project_dir, profile_name=profile_name)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point; the process ends when it returns."""
    import gc
    import warnings

    from ..plugins import ZebraPluginWarning

    def show_plugin_warning(message, category, *rest: Any, **kw: Any) -> None:
        if issubclass(category, ZebraPluginWarning):
            click.secho(f"Warning: {message}", fg="yellow", err=True)
        else:
            _default_showwarning(message, category, *rest, **kw)

    _default_showwarning = warnings.showwarning
    warnings.showwarning = show_plugin_warning
    try:
        cli.main(args=argv, prog_name="zebra")
    finally:
        # Exit without the collector's passes over every imported library
        # (about 1 s once mlflow is loaded); finalizers and atexit still run.
        gc.freeze()
