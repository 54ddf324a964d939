"""``zebra eval MODEL --run RUN_ID``: score a run and log its report."""

from __future__ import annotations

import click


@click.command("eval")
@click.argument("model")
@click.option("--run", "run_id", required=True, help="MLflow run id to evaluate.")
@click.option(
    "--dataset",
    default=None,
    help="Evaluate on this instead of the run's own data: a manifest id "
    "(ID or ID:SPLIT), a dataset id (its latest manifest) or a parquet/CSV file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.pass_obj
def eval_(ctx, model: str, run_id: str, dataset: str | None, as_json: bool) -> None:
    """Evaluate a run on the valid (and test) split it was trained with.

    Logs eval.<metric> to the run and a JSON and HTML report under eval/.
    """
    from rich.console import Console

    from ..cli.output import echo_json, table
    from ..evaluation import evaluate

    with Console(stderr=True).status(f"Evaluating {model} run {run_id}..."):
        result = evaluate(ctx, model, run_id, dataset=dataset)
    if as_json:
        echo_json(result.to_dict())
        return
    spec = ctx.project.load_model(model)
    declared = {m.name: m for m in spec.metrics}
    roles = list(result.splits)
    names = list(dict.fromkeys(n for s in result.splits.values() for n in s))
    rows = []
    for name in names:
        metric = declared.get(name)
        values = [result.splits[r].get(name) for r in roles]
        rows.append(
            [
                name + (" *" if metric else ""),
                *["" if v is None else f"{v:.4f}" for v in values],
                metric.direction if metric else "",
                "" if metric is None or metric.threshold is None else metric.threshold,
            ]
        )
    sources = ", ".join(f"{r}: {s}" for r, s in result.sources.items())
    table(
        f"{model} run {run_id} (v{result.model_version or '-'}) on {sources}",
        ["metric", *roles, "direction", "threshold"],
        rows,
    )
    click.echo(f"Report: {result.html_uri}")
    click.echo("* declared in model.yaml", err=True)
