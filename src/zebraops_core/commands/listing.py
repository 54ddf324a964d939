"""``zebra list ...`` and ``zebra show ...``: groups of lazy subcommands,
each subcommand in the module of the area that owns it."""

from __future__ import annotations

import click

from ..cli import LazyGroup

PACKAGE = "zebraops_core.commands"


@click.group(
    "list",
    cls=LazyGroup,
    package=PACKAGE,
    lazy={
        "models": ("list_models:models", "Models in the project."),
        "datasets": ("list_datasets:datasets", "Ingested dataset manifests."),
        "runs": ("list_runs:runs", "Training runs in MLflow."),
    },
)
def list_() -> None:
    """List models, datasets or runs (add --json for machines)."""


@click.group(
    "show",
    cls=LazyGroup,
    package=PACKAGE,
    lazy={
        "model": ("list_models:show_model", "One model's spec and versions."),
        "dataset": ("list_datasets:show_dataset", "One manifest in detail."),
    },
)
def show() -> None:
    """Show one model or dataset in detail."""
