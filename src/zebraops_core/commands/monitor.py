"""``zebra monitor``: check current data for drift from the prod model's
training data, and say whether to retrain."""

from __future__ import annotations

from typing import Any

import click

from ..cli.output import echo_json, info, table

STATUS_ORDER = {"drifted": 0, "ok": 1, "skipped": 2}


@click.command()
@click.argument("model")
@click.option(
    "--current",
    "current",
    default="serving-log",
    show_default=True,
    metavar="DATASET_ID|PATH|serving-log",
    help="A dataset id (its latest manifest), a csv/parquet/jsonl "
    "file, or the serving log.",
)
@click.option(
    "--window",
    default=None,
    metavar="DURATION",
    help="With serving-log: how far back to read (30m, 1h, 24h, 7d). Default 24h.",
)
@click.option(
    "--ack", is_flag=True, help="Acknowledge the latest retrain recommendation instead."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def monitor(
    ctx: Any, model: str, current: str, window: str | None, ack: bool, as_json: bool
) -> None:
    """Compare current data with what MODEL's prod version was trained on.

    Prints the share of drifted columns, each column's score and test, and a
    retrain recommendation with its reasons (thresholds from model.yaml's
    monitoring section). The HTML report goes to the object store and to an
    MLflow run tagged zebra.kind=monitor.
    """
    if ack:
        from ..monitoring.flow import acknowledge

        done = acknowledge(ctx, model)
        if as_json:
            echo_json(done)
        elif done["already"]:
            click.echo(f"{done['id']}: already acknowledged at {done['acked_at']}")
        else:
            click.echo(
                f"{done['id']}: recommendation acknowledged by "
                f"{done['acked_by']} at {done['acked_at']}"
            )
        return

    from ..monitoring.flow import monitor as run_monitor
    from ..monitoring.flow import to_dict

    info(f"Checking {model} against its prod training data ({current}) ...")
    result = run_monitor(ctx, model, current, window=window)
    for warning in result.details.get("warnings") or []:
        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    if as_json:
        echo_json(to_dict(result))
        return
    print_result(result)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_result(result: Any) -> None:
    columns = sorted(
        result.columns, key=lambda c: (STATUS_ORDER.get(c.status, 3), c.column)
    )
    table(
        f"{result.model} v{result.model_version}: {result.current_source}",
        ["column", "status", "score", "test", "threshold", "reason"],
        [
            (
                c.column,
                c.status,
                _fmt(c.score),
                c.test or "",
                _fmt(c.threshold),
                c.reason,
            )
            for c in columns
        ],
    )
    checked = [c for c in result.columns if c.status != "skipped"]
    drifted = [c for c in checked if c.status == "drifted"]
    click.echo(
        f"Rows: {result.rows_current} current vs {result.rows_reference} "
        f"reference (manifest {result.reference_manifest})"
    )
    skipped = result.details.get("not_checked") or {}
    if skipped:
        click.echo(
            "Not checked: " + ", ".join(f"{k} ({v})" for k, v in skipped.items())
        )
    if result.sampling and result.sampling.get("applied"):
        click.echo(f"Sampling: {result.sampling['reason']}")
    click.echo(
        f"Drifted columns: {len(drifted)} of {len(checked)} checked "
        f"(share {result.drift_share:.2f}); dataset drift: "
        f"{'yes' if result.dataset_drift else 'no'}"
    )
    perf = result.details.get("performance")
    if perf:
        click.echo(f"Performance: {perf.get('message')}")
    if result.recommendation:
        click.secho("Retrain recommended:", fg="red", bold=True)
        for reason in result.reasons:
            click.echo(f"  - {reason}")
        click.echo(
            f"  (run `zebra retrain {result.model}`, or acknowledge with "
            f"`zebra monitor {result.model} --ack`)"
        )
    elif result.details.get("status") == "no-verdict":
        click.secho("No verdict (see the warning above).", fg="yellow")
    else:
        click.secho("No retrain needed.", fg="green")
    if result.report_uri:
        click.echo(f"Report: {result.report_uri}")
    run_id = result.details.get("mlflow_run_id")
    if run_id:
        click.echo(f"MLflow run: {run_id}")
    click.echo(f"Result id: {result.id}")
