"""Start uvicorn for ``zebra serve`` and record the endpoint in the state
store while it runs."""

from __future__ import annotations

import logging
import os
from typing import Any

from zebraops_core.errors import ConfigError, NotFound

from .config import CONFIG_ENV, ServeConfig

log = logging.getLogger(__name__)


def check_alias(settings: Any, model: str, alias: str) -> str:
    """The version the alias points at, or a NotFound with a hint."""
    from zebraops_core import tracking

    client = tracking.client(settings)
    try:
        client.get_registered_model(model)
    except Exception:
        raise NotFound(
            f"no registered model '{model}' in {settings.tracking_uri}",
            hint=f"train and register it first: `zebra train {model}`",
        ) from None
    try:
        return str(client.get_model_version_by_alias(model, alias).version)
    except Exception:
        raise NotFound(
            f"model '{model}' has no alias '{alias}'",
            hint=(
                f"promote a run first: `zebra promote {model} --run RUN_ID "
                "--to prod` (or --to staging), then serve that alias"
            ),
        ) from None


def record_endpoint(ctx: Any, config: ServeConfig, version: str) -> int | None:
    from zebraops_core.state import tables, utcnow

    data = {
        "host": config.host,
        "port": config.port,
        "workers": config.workers,
        "version_at_start": version,
        "batching": config.batching,
        "sample_rate": config.sample_rate,
        "profile": ctx.profile,
    }
    try:
        with ctx.store.begin() as conn:
            result = conn.execute(
                tables.endpoints.insert().values(
                    model=config.model,
                    alias=config.alias,
                    url=f"http://{config.host}:{config.port}",
                    pid=os.getpid(),
                    started_at=utcnow(),
                    data=data,
                )
            )
            return int(result.inserted_primary_key[0])
    except Exception:
        log.warning("could not record the endpoint in the state store", exc_info=True)
        return None


def mark_stopped(ctx: Any, endpoint_id: int | None) -> None:
    if endpoint_id is None:
        return
    from zebraops_core.state import tables, utcnow

    try:
        with ctx.store.begin() as conn:
            conn.execute(
                tables.endpoints.update()
                .where(tables.endpoints.c.id == endpoint_id)
                .values(stopped_at=utcnow())
            )
    except Exception:
        log.warning("could not mark the endpoint stopped", exc_info=True)


def check_port(host: str, port: int) -> None:
    """Fail before loading anything when the address is taken."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror}",
                hint="pick another port with --port, or stop what uses it",
            ) from None


def run_server(ctx: Any, config: ServeConfig) -> None:
    import uvicorn

    from zebraops_core.cli.output import info

    if config.sample_rate > 0 and config.log_columns and config.log_exclude_columns:
        raise ConfigError("use --log-columns or --log-exclude-columns, not both")
    check_port(config.host, config.port)
    version = check_alias(ctx.settings, config.model, config.alias)
    endpoint_id = record_endpoint(ctx, config, version)
    info(
        f"serving {config.model}@{config.alias} (version {version}) on "
        f"http://{config.host}:{config.port}"
    )
    try:
        if config.workers > 1:
            os.environ[CONFIG_ENV] = config.to_env()
            uvicorn.run(
                "zebraops_serve.app:create_app_from_env",
                factory=True,
                host=config.host,
                port=config.port,
                workers=config.workers,
                log_level="warning",
                access_log=False,
            )
        else:
            from .app import create_app

            app = create_app(config, ctx.settings)
            uvicorn.run(
                app,
                host=config.host,
                port=config.port,
                log_level="warning",
                access_log=False,
            )
    finally:
        mark_stopped(ctx, endpoint_id)
