"""``zebra reset``: wipe the embedded default's local state and caches."""

from __future__ import annotations

import shutil

import click

from ..cli.output import info, success


@click.command("reset")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def reset(ctx, yes: bool) -> None:
    """Delete .zebraops/ (state DB, local MLflow runs and models) and
    cached_data/ (manifests and materialized splits) of this project.

    Specs, code and profiles are kept. Remote stores of other profiles are
    never touched.
    """
    from ..errors import ConfigError

    project = ctx.project
    settings = ctx.settings
    remote = [
        what
        for what, value in (
            ("state_url", settings.state_url),
            ("tracking_uri", settings.tracking_uri),
            ("object_store", settings.object_store),
        )
        if "://" in value and not value.startswith(("sqlite:///", "file://"))
    ]
    if remote:
        raise ConfigError(
            f"profile '{settings.profile.name}' uses remote stores "
            f"({', '.join(remote)}); zebra reset only wipes the embedded default",
            hint="run it with the local profile, or clean the servers yourself",
        )
    targets = [d for d in (project.state_dir, project.cached_data_dir) if d.exists()]
    if not targets:
        info("nothing to reset")
        return
    shown = " and ".join(project.relative(d) + "/" for d in targets)
    if not yes:
        click.confirm(f"Delete {shown} in {project.root}?", abort=True, err=True)
    from ..state import _stores

    for store in list(_stores.values()):  # release SQLite files first
        store.dispose()
    _stores.clear()
    for folder in targets:
        shutil.rmtree(folder)
        folder.mkdir()
    success(f"reset {shown}")
