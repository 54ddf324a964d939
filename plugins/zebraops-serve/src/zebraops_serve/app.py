"""The FastAPI app of ``zebra serve``: one model alias, hot-swapped.

Routes: ``POST /predict``, ``GET /health``, ``/ready``, ``/model``,
``/metrics``, plus routers from plugins' ``register_serving_routes`` hook.
"""

from __future__ import annotations

import contextlib
import gc
import hmac
import logging
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .batching import Batcher
from .config import SALT_ENV, TOKEN_ENV, ServeConfig
from .metrics import MetricsMiddleware, ServeMetrics
from .model import LoadedModel, ModelHolder, Prediction
from .predlog import PredictionLogger
from .schemas import (
    ErrorBody,
    HealthBody,
    ModelBody,
    PredictResponse,
    ReadyBody,
    error_responses,
)
from .validation import (
    InputError,
    check_media_type,
    conform,
    parse_body,
    request_schema,
)

log = logging.getLogger(__name__)


def _json(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(data),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _error(status: int, message: str, **detail: Any) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _json({"message": message, **detail}, status, headers)


def format_outputs(
    loaded: LoadedModel, out: Prediction
) -> tuple[list[Any], list[list[Any]] | None, dict[int, list[str]]]:
    """JSON-ready predictions and probabilities; non-finite values become
    null with a note for their row."""
    notes: dict[int, list[str]] = {}
    preds = out.predictions
    if preds.dtype.kind == "f":
        bad = ~np.isfinite(preds)
        pred_list = preds.tolist()
        for i in np.flatnonzero(bad).tolist():
            notes.setdefault(i, []).append(
                f"non-finite prediction ({pred_list[i]}) replaced by null"
            )
            pred_list[i] = None
    elif preds.dtype.kind == "O":
        pred_list = [_finite_or_none(v, i, notes) for i, v in enumerate(preds.tolist())]
    else:
        pred_list = preds.tolist()
    proba_list = None
    if out.probabilities is not None:
        proba = out.probabilities
        proba_list = proba.tolist()
        bad_rows = np.flatnonzero(~np.isfinite(proba).all(axis=1)).tolist()
        for i in bad_rows:
            notes.setdefault(i, []).append(
                "non-finite class probability replaced by null"
            )
            proba_list[i] = [p if np.isfinite(p) else None for p in proba_list[i]]
    return pred_list, proba_list, notes


def _finite_or_none(value: Any, row: int, notes: dict[int, list[str]]) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        notes.setdefault(row, []).append(
            f"non-finite prediction ({value}) replaced by null"
        )
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _settings(config: ServeConfig) -> Any:
    from zebraops_core.context import Context

    ctx = Context(
        project_dir=Path(config.project_dir) if config.project_dir else None,
        profile_name=config.profile,
    )
    return ctx.settings


def _event_validator() -> Any:
    """The shared event validator, when the core provides one."""
    try:
        from zebraops_core import events  # type: ignore[attr-defined]
    except ImportError:
        return None
    validate = getattr(events, "validate_event", None)
    if not callable(validate):
        return None
    return lambda record: validate("prediction_event", record)


def create_app(config: ServeConfig, settings: Any = None) -> FastAPI:
    """Build the app; the model loads when the app starts (lifespan)."""
    from zebraops_core import tracking

    # MLflow's download progress bars would fill the server's stderr.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    settings = settings or _settings(config)
    tracking.configure(settings)
    metrics = ServeMetrics()
    holder = ModelHolder(
        settings.tracking_uri,
        config.model,
        config.alias,
        config.poll_interval,
        on_loaded=metrics.model_loaded,
    )
    batcher = Batcher(config.max_batch_rows, config.max_wait_ms, on_batch=metrics.batch)
    predlog = PredictionLogger(
        config.log_sink or settings.object_uri("serving_logs"),
        config.model,
        config.sample_rate,
        allow=config.log_columns,
        deny=config.log_exclude_columns,
        hash_columns=config.hash_columns,
        salt=os.environ.get(SALT_ENV, ""),
        flush_rows=config.log_flush_rows,
        flush_seconds=config.log_flush_seconds,
        storage_options=settings.storage_options,
        validator=_event_validator(),
    )
    token = os.environ.get(TOKEN_ENV) or None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(holder.refresh)
        if holder.current is None:
            log.warning("no model loaded yet: %s", holder.error)
        # Everything imported and loaded so far lives as long as the server:
        # keep it out of the garbage collector's full passes (shorter pauses).
        gc.collect()
        gc.freeze()
        holder.start_polling()
        batcher.start()
        predlog.start()
        try:
            yield
        finally:
            holder.stop()
            await batcher.stop()
            await run_in_threadpool(predlog.stop)

    app = FastAPI(
        title=f"ZebraOps serving: {config.model}@{config.alias}",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.holder = holder
    app.state.metrics = metrics
    app.state.batcher = batcher
    app.state.predlog = predlog

    # -- Errors as JSON with a message --------------------------------------

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> Response:
        return _json(exc.body(), exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            message = f"no route {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} not allowed on {request.url.path}"
        return _json({"message": message}, exc.status_code, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(
        request: Request, exc: RequestValidationError
    ) -> Response:
        return _json({"message": f"invalid request: {exc.errors()}"}, 422)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return _json({"message": f"internal error: {type(exc).__name__}: {exc}"}, 500)

    # -- Routes ----------------------------------------------------------------

    @app.get("/health", response_model=HealthBody, tags=["ops"])
    async def health() -> Response:
        """Liveness: the process answers."""
        return _json({"status": "ok"})

    @app.get(
        "/ready",
        response_model=ReadyBody,
        tags=["ops"],
        responses={503: {"model": ReadyBody, "description": "Model not loaded."}},
    )
    async def ready() -> Response:
        """Readiness: a model is loaded."""
        current = holder.current
        if current is None:
            reason = holder.error or "the model is still loading"
            return _json({"ready": False, "message": reason}, 503)
        return _json({"ready": True, "model": current.name, "version": current.version})

    @app.get(
        "/model", response_model=ModelBody, tags=["ops"], responses=error_responses(503)
    )
    async def model_info() -> Response:
        """What is served: name, alias, version, run, datasets, load time."""
        current = holder.current
        if current is None:
            return _error(503, f"no model loaded: {holder.error or 'still loading'}")
        return _json(current.info())

    @app.get(
        "/metrics",
        tags=["ops"],
        responses={
            200: {
                "content": {"text/plain": {"schema": {"type": "string"}}},
                "description": "Prometheus text format.",
            }
        },
    )
    async def prometheus() -> Response:
        """Prometheus metrics."""
        body, ctype = metrics.render()
        return Response(body, media_type=ctype)

    @app.post(
        "/predict",
        tags=["predict"],
        response_model=PredictResponse,
        responses=error_responses(401, 413, 415, 422, 503),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": request_schema(None)},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def predict(request: Request) -> Response:
        """Predict rows given in any MLflow scoring format or as CSV."""
        if token is not None and not _authorized(request, token):
            return _error(401, "missing or wrong bearer token in Authorization header")
        loaded = holder.current
        if loaded is None:
            return _error(503, f"no model loaded: {holder.error or 'still loading'}")
        batcher.enter()
        try:
            return await _predict(request, loaded)
        finally:
            batcher.leave()

    async def _predict(request: Request, loaded: LoadedModel) -> Response:
        request_id = _request_id(request)
        batcher.arriving += 1
        try:
            kind = check_media_type(request.headers.get("content-type"))
            body = await _read_body(request, config.max_body_bytes)
            table = parse_body(body, kind, loaded.columns)
            X, dropped = conform(table, loaded.columns, config.strict)
        finally:
            batcher.arriving -= 1
        try:
            if config.batching:
                out = await batcher.submit(loaded, X)
            else:
                out = await batcher.run_model(loaded, X)
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(
                422,
                f"the model could not predict these rows: {type(exc).__name__}: {exc}",
            ) from None
        preds, proba, notes = format_outputs(loaded, out)
        payload: dict[str, Any] = {
            "predictions": preds,
            "model": loaded.name,
            "model_version": loaded.version,
            "alias": loaded.alias,
            "request_id": request_id,
        }
        if proba is not None:
            payload["probabilities"] = proba
            payload["classes"] = loaded.classes
        if dropped:
            payload["dropped_columns"] = dropped
        if notes:
            payload["notes"] = [
                {"row": r, "note": n} for r, ns in sorted(notes.items()) for n in ns
            ]
        metrics.predictions(loaded, out)
        predlog.record(request_id, loaded, table, out, notes)
        return _json(payload, headers={"X-Request-ID": request_id})

    def custom_openapi() -> dict[str, Any]:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        current = holder.current
        body = schema["paths"]["/predict"]["post"].get("requestBody")
        if body and current is not None:
            body["content"]["application/json"]["schema"] = request_schema(
                current.columns
            )
        if token is not None:
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"}
            }
            schema["paths"]["/predict"]["post"]["security"] = [{"bearer": []}]
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    _mount_plugin_routes(app, config.model)
    return _with_metrics(app, metrics)


def _with_metrics(app: FastAPI, metrics: ServeMetrics) -> FastAPI:
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def _mount_plugin_routes(app: FastAPI, model_name: str) -> None:
    from zebraops_core.plugins import get_plugin_manager

    try:
        answers = get_plugin_manager().hook.register_serving_routes(
            model_name=model_name
        )
    except Exception:
        log.warning("a register_serving_routes hook failed", exc_info=True)
        return
    for routers in answers:
        for router in routers or ():
            app.include_router(router)


def _authorized(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    if 0 < len(given) <= 128 and given.isprintable():
        return given
    return uuid.uuid4().hex


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InputError(
            413,
            f"body of {declared} bytes is over the limit of {limit} bytes",
            limit_bytes=limit,
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputError(
                413, f"body is over the limit of {limit} bytes", limit_bytes=limit
            )
        chunks.append(chunk)
    return b"".join(chunks)


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers (``--workers`` > 1)."""
    return create_app(ServeConfig.from_env())


__all__ = ["ErrorBody", "create_app", "create_app_from_env", "format_outputs"]
