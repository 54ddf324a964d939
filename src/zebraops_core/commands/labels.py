"""``zebra labels``: ground truth joined to served predictions."""

from __future__ import annotations

from typing import Any

import click

from ..cli.output import echo_json, info, table


@click.group()
def labels() -> None:
    """Join label events to prediction events and track performance."""


@labels.command("ingest")
@click.argument("model")
@click.argument("source")
@click.option(
    "--window",
    default="1d",
    show_default=True,
    metavar="DURATION",
    help="Width of each time window the metrics are computed over.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def ingest(ctx: Any, model: str, source: str, window: str, as_json: bool) -> None:
    """Join SOURCE's label events (request_id, row, label) to MODEL's
    prediction events and store the declared metrics per time window."""
    from ..monitoring.labels import ingest_labels

    rows = ingest_labels(ctx, model, source, window=window)
    if as_json:
        echo_json(rows)
        return
    _print(rows, f"{model}: performance per {window} window")
    info(
        f"{len(rows)} performance rows stored; `zebra monitor {model}` now "
        "reports decay against the training-time metric"
    )


@labels.command("show")
@click.argument("model")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(ctx: Any, model: str, as_json: bool) -> None:
    """Print MODEL's stored performance windows."""
    import sqlalchemy as sa

    from ..state import tables

    t = tables.performance
    with ctx.store.begin() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(t).where(t.c.model == model).order_by(t.c.window_start)
            )
        ]
    if as_json:
        echo_json(rows)
        return
    _print(rows, f"{model}: performance")


def _print(rows: list[dict], title: str) -> None:
    table(
        title,
        ["window start", "window end", "version", "metric", "value", "rows"],
        [
            (
                r["window_start"],
                r["window_end"],
                r["model_version"],
                r["metric"],
                "" if r["value"] is None else f"{r['value']:.4g}",
                r["rows"],
            )
            for r in rows
        ],
    )
