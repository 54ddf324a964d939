"""Routers from plugins' ``register_serving_routes`` are mounted on the app."""

from __future__ import annotations

import pytest

from .conftest import thread_served

pytestmark = pytest.mark.slow


class ExplainPlugin:
    """A plugin adding GET /explain to the serving app."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    from zebraops_core.hookspecs import hookimpl

    @hookimpl
    def register_serving_routes(self, model_name: str) -> list:
        from fastapi import APIRouter

        self.seen.append(model_name)
        router = APIRouter()

        @router.get("/explain")
        def explain() -> dict:
            return {"model": model_name, "explained": True}

        return [router]


def test_plugin_router_is_mounted(serve_project) -> None:
    from zebraops_core.plugins import make_plugin_manager, set_plugin_manager

    plugin = ExplainPlugin()
    set_plugin_manager(make_plugin_manager(extra=(plugin,)))
    server, served = thread_served(serve_project, model="churn", poll_interval=0)
    with server:
        resp = served.get("/explain")
        metrics = served.get("/metrics").text
    assert plugin.seen == ["churn"]
    assert resp.status_code == 200
    assert resp.json() == {"model": "churn", "explained": True}
    assert 'route="/explain",status="200"' in metrics
