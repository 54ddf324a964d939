"""``zebra metrics``: monitoring results as Prometheus gauges."""

from __future__ import annotations

from typing import Any

import click

from ..cli.output import info


@click.group()
def metrics() -> None:
    """Expose monitoring results (drift share, per-column scores, rows checked,
    last check time) to Prometheus, read from the state store at scrape time."""


@metrics.command()
@click.option("--port", default=9464, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.pass_obj
def serve(ctx: Any, port: int, host: str) -> None:
    """Serve /metrics until interrupted."""
    import time

    from ..monitoring.prometheus import serve as start

    server = start(ctx.store, port=port, host=host)
    info(f"Serving monitoring metrics on http://{host}:{port}/metrics (Ctrl+C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


@metrics.command()
@click.pass_obj
def show(ctx: Any) -> None:
    """Print the exposition text once, as a scrape would see it."""
    from ..monitoring.prometheus import render

    click.echo(render(ctx.store).decode(), nl=False)


@metrics.command()
@click.option(
    "--url",
    envvar="ZEBRA_PUSHGATEWAY_URL",
    required=True,
    help="Pushgateway URL (default: $ZEBRA_PUSHGATEWAY_URL).",
)
@click.pass_obj
def push(ctx: Any, url: str) -> None:
    """Push the gauges to a Pushgateway once."""
    from prometheus_client import push_to_gateway

    from ..errors import ZebraError
    from ..monitoring.prometheus import PUSH_JOB, registry_for

    try:
        push_to_gateway(url, job=PUSH_JOB, registry=registry_for(ctx.store), timeout=10)
    except OSError as exc:
        raise ZebraError(
            f"cannot push to {url}: {exc}", hint="check ZEBRA_PUSHGATEWAY_URL"
        ) from None
    info(f"Pushed monitoring metrics to {url}")
