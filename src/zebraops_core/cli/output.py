"""Printing results: tables and JSON on stdout, diagnostics on stderr."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import click

#: Table width when stdout is not a terminal (grep-able, one row per line).
PIPE_WIDTH = 1000


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """A rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_lines=False)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    console = Console(soft_wrap=True)
    if not console.is_terminal:  # piped or captured: never wrap cells
        console.width = PIPE_WIDTH
    console.print(t)


def info(message: str) -> None:
    """A diagnostic line on stderr."""
    click.echo(message, err=True)


def success(message: str) -> None:
    click.secho(message, fg="green", err=True)
