"""``zebra retrain`` and ``zebra schedule retrain``."""

from __future__ import annotations

from typing import Any

import click

from ..cli.output import echo_json, info

MARK = {"ok": "✓", "failed": "✗", "skipped": "-"}


@click.command()
@click.argument("model")
@click.option(
    "--force", is_flag=True, help="Retrain even when monitoring does not recommend it."
)
@click.option(
    "--source",
    default=None,
    metavar="URI",
    help="Fresh data for the training dataset (file, URL or query).",
)
@click.option(
    "--current",
    default="serving-log",
    show_default=True,
    metavar="DATASET_ID|PATH|serving-log",
    help="What the monitor step checks.",
)
@click.option(
    "--window",
    default=None,
    metavar="DURATION",
    help="With serving-log: how far back to read (default 24h).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def retrain(
    ctx: Any,
    model: str,
    force: bool,
    source: str | None,
    current: str,
    window: str | None,
    as_json: bool,
) -> None:
    """Monitor MODEL; when a retrain is recommended (or --force): ingest fresh
    data, train, evaluate and promote to promotion.retrain_target through the
    gates. A failed gate leaves the alias where it was."""
    from ..errors import GateFailed, RunFailed
    from ..monitoring.retrain import FAILED, GATE_FAILED, NOT_NEEDED, retrain

    def show(step: dict) -> None:
        info(
            f"{MARK.get(step['status'], '?')} {step['step']:<8} "
            f"{step.get('detail', '')} ({step['seconds']}s)"
        )

    record = retrain(
        ctx,
        model,
        force=force,
        source=source,
        current=current,
        window=window,
        on_step=None if as_json else show,
    )
    if as_json:
        echo_json(record)
    elif ctx.settings.prefect_api_url:
        for step in record["steps"]:
            show(step)
    if not as_json:
        status = record["status"]
        if status == NOT_NEEDED:
            click.echo(f"{model}: no retrain needed (use --force to retrain anyway)")
        else:
            click.echo(f"{model}: {status}")
        if record.get("record_uri"):
            click.echo(f"Record: {record['record_uri']}")
        if record.get("mlflow_run_id"):
            click.echo(f"MLflow run: {record['mlflow_run_id']}")
    if record["status"] == GATE_FAILED:
        raise GateFailed(
            f"retrain of {model}: the gates refused the new "
            f"version; {record['target']} is unchanged"
        )
    if record["status"] == FAILED:
        raise RunFailed(f"retrain of {model} failed: {record.get('error')}")


@click.group()
def schedule() -> None:
    """Schedule ZebraOps flows on a Prefect server."""


@schedule.command("retrain")
@click.argument("model")
@click.option("--cron", required=True, help='Cron schedule, e.g. "0 3 * * *".')
@click.option("--timezone", default=None, help="IANA time zone of the cron.")
@click.option("--force", is_flag=True, help="Retrain on every run.")
@click.option(
    "--source", default=None, metavar="URI", help="Fresh data for the training dataset."
)
@click.option(
    "--window",
    default=None,
    metavar="DURATION",
    help="Serving-log window the monitor step reads.",
)
@click.option(
    "--serve",
    "serve_now",
    is_flag=True,
    help="Also run the scheduled retrains from this process (blocks until Ctrl+C).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def retrain_schedule(
    ctx: Any,
    model: str,
    cron: str,
    timezone: str | None,
    force: bool,
    source: str | None,
    window: str | None,
    serve_now: bool,
    as_json: bool,
) -> None:
    """Create a Prefect deployment retraining MODEL on a cron schedule."""
    from ..errors import ConfigError

    if not ctx.settings.prefect_api_url:  # before importing Prefect
        raise ConfigError(
            "scheduling needs a Prefect server, and PREFECT_API_URL is not set",
            hint="start one (`prefect server start`), then set PREFECT_API_URL "
            "or prefect_api_url in the profile",
        )
    from ..monitoring.schedule import schedule_retrain, serve_schedules

    deployment, deployment_id = schedule_retrain(
        ctx, model, cron, timezone=timezone, force=force, source=source, window=window
    )
    out = {
        "deployment": f"{deployment.flow_name}/{deployment.name}",
        "id": deployment_id,
        "cron": cron,
        "prefect_api_url": ctx.settings.prefect_api_url,
    }
    if as_json:
        echo_json(out)
    else:
        click.echo(
            f"Deployment {out['deployment']} ({out['id']}) retrains {model} on '{cron}'"
        )
        if not serve_now:
            click.echo(
                "Runs execute where the deployment is served: rerun with "
                "--serve, or serve it from a long-running process."
            )
    if serve_now:
        info("Serving scheduled retrains (Ctrl+C to stop) ...")
        serve_schedules(deployment)
