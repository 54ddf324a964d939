"""Scheduled retrains: a Prefect deployment of the retrain flow with a cron.

This module imports Prefect at the top on purpose: a deployment needs a flow
object Prefect can load by its import path. Only ``zebra schedule`` imports
it.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from prefect import flow as prefect_flow

from ..errors import ConfigError, ZebraError
from ..orchestration import _prefect_active

if TYPE_CHECKING:
    from ..context import Context

log = logging.getLogger(__name__)

FLOW_NAME = "zebra-retrain"


@prefect_flow(name=FLOW_NAME, log_prints=True)
def scheduled_retrain(
    project_dir: str,
    model_name: str,
    profile: str | None = None,
    force: bool = False,
    source: str | None = None,
    current: str = "serving-log",
    window: str | None = None,
) -> dict[str, Any]:
    """The retrain flow as a deployable Prefect flow; steps are task runs."""
    from .retrain import retrain_flow

    token = _prefect_active.set(True)
    try:
        return retrain_flow.fn(
            project_dir, profile, model_name, force, source, current, window
        )
    finally:
        _prefect_active.reset(token)


def deployment_name(model: str) -> str:
    return f"retrain-{model}"


def schedule_retrain(
    ctx: Context,
    model: str,
    cron: str,
    *,
    timezone: str | None = None,
    force: bool = False,
    source: str | None = None,
    window: str | None = None,
) -> tuple[Any, str]:
    """Create (or update) the deployment; return it and its id."""
    url = ctx.settings.prefect_api_url
    if not url:
        raise ConfigError(
            "scheduling needs a Prefect server, and PREFECT_API_URL is not set",
            hint="start one (`prefect server start`), then set PREFECT_API_URL "
            "or prefect_api_url in the profile",
        )
    ctx.project.load_model(model)
    os.environ["PREFECT_API_URL"] = url
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    parameters = {
        "project_dir": str(ctx.project.root),
        "model_name": model,
        "profile": ctx.profile_name,
        "force": force,
        "source": source,
        "window": window,
    }
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Settings are read when Prefect is imported: override them here too
    with temporary_settings(updates={PREFECT_API_URL: url}):
        deployment, deployment_id = _apply(model, cron, timezone, parameters, url)
    return deployment, str(deployment_id)


def _apply(
    model: str, cron: str, timezone: str | None, parameters: dict[str, Any], url: str
) -> tuple[Any, Any]:
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    try:
        deployment = scheduled_retrain.to_deployment(
            name=deployment_name(model),
            schedule=Cron(cron, timezone=timezone),
            parameters=parameters,
            tags=["zebraops", f"model:{model}"],
            description=f"zebra retrain {model} on cron '{cron}'",
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"invalid schedule '{cron}': {exc}",
            hint='use five cron fields, e.g. --cron "0 3 * * *"',
        ) from None
    try:
        deployment_id = deployment.apply()
    except Exception as exc:
        raise ZebraError(
            f"cannot create the deployment on {url}: {exc}",
            hint="check that the Prefect server is running",
        ) from None
    return deployment, deployment_id


def serve_schedules(deployment: Any) -> None:
    """Run scheduled retrains in this process until interrupted."""
    from prefect import serve

    serve(deployment)
