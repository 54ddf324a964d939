"""``zebra train``: run a model's train.py or train.ipynb under the contract."""

from __future__ import annotations

import click

from ..cli.output import echo_json, info, success, table


def _fmt(value: object) -> str:
    """Metrics with 4 decimals; other values as they are."""
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _param(value: object) -> str:
    return str(value)


@click.command("train")
@click.argument("model")
@click.option(
    "--params",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a hyperparameter (repeatable; YAML values).",
)
@click.option(
    "--grid", is_flag=True, help="Expand hyperparams.grid into parallel child runs."
)
@click.option(
    "--max-parallel",
    type=click.IntRange(min=1),
    help="Grid runs at a time (default: number of cores).",
)
@click.option(
    "--profile", "profile_name", help="Profile to train on (picks the compute adapter)."
)
@click.option(
    "--no-ingest",
    is_flag=True,
    help="Fail instead of ingesting a dataset that has no manifest.",
)
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    metavar="ROLE=ID",
    help="Train on this manifest for a role or dataset id.",
)
@click.option(
    "--entrypoint", help="Run another file of the model folder (e.g. train.ipynb)."
)
@click.option(
    "--allow-untagged-notebook",
    is_flag=True,
    help="Run a notebook that has no cell tagged 'parameters'.",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not echo the job's output.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def train(
    ctx,
    model: str,
    params: tuple[str, ...],
    grid: bool,
    max_parallel: int | None,
    profile_name: str | None,
    no_ingest: bool,
    manifests: tuple[str, ...],
    entrypoint: str | None,
    allow_untagged_notebook: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Train MODEL: one MLflow run with lineage tags, its outputs logged and
    its model registered as a new version of MODEL.

    With --grid, every point of hyperparams.grid is a child run under one
    parent run; only the best child (by the first metric of model.yaml) is
    registered. The job's output streams to stderr and is stored in the run.
    """
    from ..errors import ConfigError
    from ..training import train as run_train
    from ..training.params import parse_overrides

    if profile_name:
        ctx.profile_name = profile_name
    overrides = parse_overrides(params)
    manifest_ids = {}
    for pair in manifests:
        role, sep, mid = pair.partition("=")
        if not sep:
            raise ConfigError(f"--manifest expects ROLE=ID, got '{pair}'")
        manifest_ids[role.strip()] = mid.strip()
    outcome = run_train(
        ctx,
        model,
        params=overrides,
        grid=grid,
        max_parallel=max_parallel,
        no_ingest=no_ingest,
        manifest_ids=manifest_ids or None,
        entrypoint=entrypoint,
        allow_untagged_notebook=allow_untagged_notebook,
        echo=not quiet,
    )
    if as_json:
        echo_json(outcome.to_dict())
        return
    spec_metrics = sorted({k for r in outcome.runs for k in r.metrics})
    metric = outcome.primary_metric
    if metric in spec_metrics:
        spec_metrics.remove(metric)
        spec_metrics.insert(0, metric)
    keys = list(outcome.grid_keys)
    grid_run = outcome.parent_run_id is not None
    rows = []
    for r in outcome.runs:
        best = outcome.best is not None and r.run_id == outcome.best.run_id
        rows.append(
            [
                *(["*" if best else ""] if grid_run else []),
                r.run_id,
                *(_param(r.params.get(k)) for k in keys),
                *(_fmt(r.metrics.get(m)) for m in spec_metrics),
                r.model_version or "",
            ]
        )
    for f in outcome.failures:
        rows.append(
            [
                "x",
                "FAILED",
                *(_param(f["params"].get(k)) for k in keys),
                *("" for _ in spec_metrics),
                "",
            ]
        )
    title = (
        f"{outcome.model}: grid of {len(rows)} runs"
        if grid_run
        else f"{outcome.model}: training run"
    )
    table(
        title,
        [
            *(["best"] if grid_run else []),
            "run id",
            *keys,
            *spec_metrics,
            "version",
        ],
        rows,
    )
    if outcome.parent_run_id:
        info(
            f"parent run {outcome.parent_run_id}; sorted by {metric}; "
            f"only the best run (*) is registered"
        )
    for f in outcome.failures:
        info(f"failed point {f['params']}: {f['error']}")
    if outcome.best is not None:
        success(
            f"registered {outcome.model} version {outcome.best.model_version} "
            f"from run {outcome.best.run_id}"
        )
