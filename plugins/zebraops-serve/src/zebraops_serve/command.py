"""``zebra serve``: serve a registered model's alias over HTTP.

Only click is imported at module top; FastAPI, uvicorn and MLflow load when
the command runs.
"""

from __future__ import annotations

import click


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


@click.command("serve")
@click.argument("model")
@click.option(
    "--alias",
    default="prod",
    show_default=True,
    help="Registry alias to serve and follow (prod, staging...).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Uvicorn worker processes (each loads the model).",
)
@click.option(
    "--poll-interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds between alias checks for hot swap (0: never).",
)
@click.option(
    "--max-batch-rows",
    default=4096,
    show_default=True,
    type=click.IntRange(1),
    help="Most rows in one batched model call.",
)
@click.option(
    "--max-wait-ms",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Longest wait for more requests to batch.",
)
@click.option("--no-batching", is_flag=True, help="One model call per request.")
@click.option(
    "--strict",
    is_flag=True,
    help="Reject extra columns (422) instead of dropping them.",
)
@click.option(
    "--max-body-bytes",
    default=16 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    help="Largest request body (413 above).",
)
@click.option(
    "--sample-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of predicted rows logged as prediction events.",
)
@click.option(
    "--log-sink",
    default=None,
    help="Root of prediction logs, local or fsspec URI "
    "(default: <object_store>/serving_logs).",
)
@click.option(
    "--log-columns",
    default=None,
    help="Comma-separated input columns to log (allowlist).",
)
@click.option(
    "--log-exclude-columns",
    default=None,
    help="Comma-separated input columns never logged (denylist).",
)
@click.option(
    "--hash-columns",
    default=None,
    help="Comma-separated identifier columns logged as salted sha256 "
    "(salt from ZEBRA_SERVE_HASH_SALT).",
)
@click.option(
    "--log-flush-seconds",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.05),
    help="Write buffered events this often.",
)
@click.pass_obj
def serve(
    ctx,
    model: str,
    alias: str,
    host: str,
    port: int,
    workers: int,
    poll_interval: float,
    max_batch_rows: int,
    max_wait_ms: float,
    no_batching: bool,
    strict: bool,
    max_body_bytes: int,
    sample_rate: float,
    log_sink: str | None,
    log_columns: str | None,
    log_exclude_columns: str | None,
    hash_columns: str | None,
    log_flush_seconds: float,
) -> None:
    """Serve MODEL's registry alias with FastAPI: /predict, /health, /ready,
    /model and /metrics. The server follows the alias (hot swap) without a
    restart. Set ZEBRA_SERVE_TOKEN to require a bearer token on /predict."""
    from .config import ServeConfig
    from .runner import run_server

    config = ServeConfig(
        model=model,
        alias=alias,
        project_dir=str(ctx.project.root),
        profile=ctx.profile_name,
        host=host,
        port=port,
        workers=workers,
        poll_interval=poll_interval,
        batching=not no_batching,
        max_batch_rows=max_batch_rows,
        max_wait_ms=max_wait_ms,
        strict=strict,
        max_body_bytes=max_body_bytes,
        sample_rate=sample_rate,
        log_sink=log_sink,
        log_columns=_csv(log_columns),
        log_exclude_columns=_csv(log_exclude_columns),
        hash_columns=_csv(hash_columns),
        log_flush_seconds=log_flush_seconds,
    )
    run_server(ctx, config)
