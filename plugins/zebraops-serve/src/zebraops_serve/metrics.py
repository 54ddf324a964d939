"""Prometheus metrics of one serving app, in the app's own registry.

With ``--workers N`` every worker process keeps its own numbers; scrape each
worker or run one worker per port behind the load balancer.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from .model import LoadedModel, Prediction

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "zebra_serve_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "zebra_serve_request_duration_seconds",
            "Request latency by route.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rows = Counter(
            "zebra_serve_rows",
            "Rows predicted.",
            ["model_version"],
            registry=r,
        )
        self.predicted_class = Counter(
            "zebra_serve_predictions",
            "Predicted rows by class (classifiers).",
            ["model_version", "prediction"],
            registry=r,
        )
        self.predicted_value = Histogram(
            "zebra_serve_prediction_value",
            "Distribution of predicted values (regressors).",
            ["model_version"],
            registry=r,
            buckets=(-1000, -100, -10, -1, 0, 0.25, 0.5, 0.75, 1, 10, 100, 1000),
        )
        self.batch_rows = Histogram(
            "zebra_serve_batch_rows",
            "Rows per model call.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
            registry=r,
        )
        self.batch_requests = Histogram(
            "zebra_serve_batch_requests",
            "Requests per model call.",
            buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32, 64),
            registry=r,
        )
        self.load_seconds = Gauge(
            "zebra_serve_model_load_seconds",
            "Time to load the model version.",
            ["model_version"],
            registry=r,
        )
        self.loads = Counter(
            "zebra_serve_model_loads",
            "Model versions loaded (hot swaps + 1).",
            registry=r,
        )
        self.info = Gauge(
            "zebra_serve_model_info",
            "1 for the model version being served.",
            ["model", "alias", "model_version", "run_id"],
            registry=r,
        )
        self.ready = Gauge("zebra_serve_ready", "1 when a model is loaded.", registry=r)
        self._info_labels: tuple[str, ...] | None = None

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def model_loaded(self, loaded: LoadedModel, previous: LoadedModel | None) -> None:
        labels = (loaded.name, loaded.alias, loaded.version, loaded.run_id or "")
        if self._info_labels is not None and self._info_labels != labels:
            with contextlib.suppress(KeyError):
                self.info.remove(*self._info_labels)
        self.info.labels(*labels).set(1)
        self._info_labels = labels
        self.load_seconds.labels(loaded.version).set(loaded.load_seconds)
        self.loads.inc()
        self.ready.set(1)

    def batch(self, requests: int, rows: int) -> None:
        self.batch_requests.observe(requests)
        self.batch_rows.observe(rows)

    def predictions(self, loaded: LoadedModel, out: Prediction) -> None:
        preds = out.predictions
        self.rows.labels(loaded.version).inc(len(preds))
        if loaded.classes is not None or preds.dtype.kind in "OUSb":
            values, counts = np.unique(preds.astype(str), return_counts=True)
            for value, count in zip(values.tolist(), counts.tolist(), strict=True):
                self.predicted_class.labels(loaded.version, value).inc(count)
        elif preds.dtype.kind in "iuf":
            hist = self.predicted_value.labels(loaded.version)
            values = preds.ravel()[:1000].astype(float)
            for v in values[np.isfinite(values)].tolist():
                hist.observe(v)


class MetricsMiddleware:
    """Pure ASGI middleware: counts and times every HTTP request by its route
    template (unknown paths count as ``unmatched``)."""

    def __init__(self, app: Any, metrics: ServeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(
        self, scope: dict, receive: Callable[[], Awaitable[Any]], send: Callable
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(path, method, str(status["code"])).inc()
            self.metrics.latency.labels(path, method).observe(
                time.perf_counter() - started
            )
