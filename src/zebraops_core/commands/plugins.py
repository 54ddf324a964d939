"""``zebra plugins``: what is installed and what each plugin provides."""

from __future__ import annotations

import click

from ..cli.output import echo_json, table


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def plugins(as_json: bool) -> None:
    """List installed plugins: distribution, version, hooks and type names.

    Plugins come from the `zebraops` entry-point group. Set
    ZEBRA_DISABLE_PLUGINS to a comma-separated list of plugin names (or `all`)
    to skip them.
    """
    from ..plugins import DISABLE_ENV, describe_plugins, disabled_plugins

    infos = describe_plugins()
    if as_json:
        echo_json(
            [
                {
                    "name": i.name,
                    "distribution": i.distribution,
                    "version": i.version,
                    "hooks": list(i.hooks),
                    "provides": {k: list(v) for k, v in i.provides.items()},
                }
                for i in infos
            ]
        )
        return
    disabled = disabled_plugins()
    if disabled:
        click.echo(f"{DISABLE_ENV}={','.join(sorted(disabled))}", err=True)
    if not infos:
        click.echo("no plugins installed", err=True)
        return
    rows = []
    for i in infos:
        provides = "; ".join(
            f"{kind}: {', '.join(names)}" for kind, names in i.provides.items()
        )
        rows.append(
            (
                i.name,
                i.distribution or "-",
                i.version or "-",
                ", ".join(i.hooks),
                provides or "-",
            )
        )
    table(None, ["plugin", "distribution", "version", "hooks", "provides"], rows)
