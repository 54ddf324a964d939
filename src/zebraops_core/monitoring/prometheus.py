"""Prometheus export of monitoring results, read from the state store at
scrape time.

:class:`MonitorCollector` turns the latest ``monitor_results`` row of every
model into gauges. ``zebra metrics serve`` exposes them on ``/metrics``; the
UI service mounts :func:`make_asgi_app`; :func:`push_if_configured` pushes
them to a Pushgateway when ``ZEBRA_PUSHGATEWAY_URL`` is set.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..state import tables

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from ..context import Context
    from ..state import StateStore

log = logging.getLogger(__name__)

PUSHGATEWAY_ENV = "ZEBRA_PUSHGATEWAY_URL"
PUSH_JOB = "zebraops_monitor"
PREFIX = "zebra_monitor_"


def latest_rows(store: StateStore) -> list[Any]:
    """The newest monitor result of each model."""
    import sqlalchemy as sa

    t = tables.monitor_results
    newest = (
        sa.select(t.c.model, sa.func.max(t.c.created_at).label("at"))
        .group_by(t.c.model)
        .subquery()
    )
    query = (
        sa.select(t)
        .join(
            newest, sa.and_(t.c.model == newest.c.model, t.c.created_at == newest.c.at)
        )
        .order_by(t.c.model)
    )
    with store.begin() as conn:
        rows = conn.execute(query).all()
    seen: dict[str, Any] = {}
    for row in rows:  # two results in one millisecond: keep one
        seen.setdefault(row.model, row)
    return list(seen.values())


def _timestamp(text: str) -> float:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0


class MonitorCollector:
    """Gauges per model from the state store, computed at each scrape."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def describe(self) -> list:
        return []  # no fixed set: computed at scrape time

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        def gauge(name: str, doc: str, labels: tuple[str, ...] = ("model",)):
            return GaugeMetricFamily(PREFIX + name, doc, labels=list(labels))

        share = gauge("drift_share", "Share of checked columns that drifted.")
        flag = gauge(
            "dataset_drift",
            "1 when the drift share reached the model's monitoring.drift_share.",
        )
        recommended = gauge(
            "retrain_recommended", "1 when the latest check recommends a retrain."
        )
        acked = gauge(
            "recommendation_acknowledged",
            "1 when the latest recommendation was acknowledged (zebra monitor --ack).",
        )
        rows_checked = gauge("rows_checked", "Current rows in the latest check.")
        last = gauge("last_check_timestamp_seconds", "Unix time of the latest check.")
        column = gauge(
            "column_drift_score",
            "Drift score of a column (p-value or distance; see the test label).",
            ("model", "column", "test"),
        )
        drifted = gauge(
            "column_drifted",
            "1 when the column drifted, 0 when not; skipped columns are absent.",
            ("model", "column"),
        )
        try:
            rows = latest_rows(self.store)
        except Exception as exc:  # a scrape must answer even then
            log.warning("cannot read monitor results: %s", exc)
            rows = []
        for row in rows:
            m = row.model
            share.add_metric([m], float(row.drift_share))
            flag.add_metric([m], float(bool(row.dataset_drift)))
            recommended.add_metric([m], float(bool(row.recommendation)))
            acked.add_metric([m], float(bool(row.acked_at)))
            rows_checked.add_metric([m], float(row.rows_current))
            last.add_metric([m], _timestamp(row.created_at))
            for c in (row.data or {}).get("columns", []):
                if c.get("status") == "skipped":
                    continue
                if c.get("score") is not None:
                    column.add_metric(
                        [m, c["column"], str(c.get("test") or "")], float(c["score"])
                    )
                drifted.add_metric(
                    [m, c["column"]], float(c.get("status") == "drifted")
                )
        yield from (
            share,
            flag,
            recommended,
            acked,
            rows_checked,
            last,
            column,
            drifted,
        )


def registry_for(store: StateStore) -> CollectorRegistry:
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(store))
    return registry


def render(store: StateStore) -> bytes:
    """The exposition text, as ``/metrics`` serves it."""
    from prometheus_client import generate_latest

    return generate_latest(registry_for(store))


def make_asgi_app(store: StateStore) -> Any:
    """An ASGI app answering ``/metrics`` (for the UI service to mount)."""
    from prometheus_client import make_asgi_app as make

    return make(registry=registry_for(store))


def serve(store: StateStore, port: int = 9464, host: str = "127.0.0.1") -> Any:
    """Start the exporter in a background thread; return the server."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=registry_for(store))
    return server


def push_if_configured(ctx: Context) -> bool:
    """Push the gauges when ``ZEBRA_PUSHGATEWAY_URL`` is set; never fatal."""
    url = os.environ.get(PUSHGATEWAY_ENV)
    if not url:
        return False
    from prometheus_client import push_to_gateway

    try:
        push_to_gateway(url, job=PUSH_JOB, registry=registry_for(ctx.store), timeout=10)
    except Exception as exc:
        log.warning("could not push to the Pushgateway at %s: %s", url, exc)
        return False
    return True
