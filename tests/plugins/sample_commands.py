"""A plugin adding ``zebra hello`` and a serving route list."""

from __future__ import annotations

import click

from zebraops_core.hookspecs import hookimpl


@click.command("hello")
@click.argument("who", default="world")
def hello(who: str) -> None:
    """Say hello (a plugin command)."""
    click.echo(f"hello {who}")


@hookimpl
def register_commands():
    return {"hello": "tests.plugins.sample_commands:hello"}


@hookimpl
def register_serving_routes(model_name):
    return [f"route-for-{model_name}"]
