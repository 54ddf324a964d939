"""``zebra validate``: the contract check a project's own CI runs."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli.output import echo_json


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.pass_obj
def validate(ctx, paths: tuple[Path, ...], as_json: bool) -> None:
    """Check model specs, dataset definitions and manifests.

    Each PATH is a file (its kind comes from where it lives: models/*/model.yaml,
    data_sources/*.yaml, *.json manifests) or a folder searched for them. With
    no PATH, every spec of the project is checked. Problems are printed as
    FILE:LINE: FIELD: MESSAGE; the exit code is 2 when there is any.
    """
    from ..errors import ProjectNotFound
    from ..specs.validate import validate_paths, validate_project

    if paths:
        try:
            project = ctx.project
        except ProjectNotFound:
            project = None
        reports = validate_paths(paths, project=project)
    else:
        reports = validate_project(ctx.project)

    problems = [p for r in reports for p in r.problems]
    warnings = [w for r in reports for w in r.warnings]
    if as_json:
        echo_json({"ok": not problems, "files": [r.to_dict() for r in reports]})
    else:
        for line in problems:
            click.echo(line)
        for line in warnings:
            click.echo(f"warning: {line}", err=True)
    bad = sum(1 for r in reports if not r.ok)
    summary = (
        f"{len(reports)} file(s) checked, {len(problems)} problem(s) in {bad} file(s)"
    )
    if problems:
        click.secho(summary, fg="red", err=True)
        raise click.exceptions.Exit(2)
    click.secho(summary if reports else "no spec files found", fg="green", err=True)
