"""`zebra train` through a real Prefect server: the flow run and its task
runs are visible in Prefect, and the grid's children are task runs."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_train_grid_runs_as_prefect_flow_with_task_runs(
    zp, prefect_server, monkeypatch, mlflow_client
):
    monkeypatch.setenv("ZEBRA_PREFECT_API_URL", prefect_server)
    out = json.loads(
        zp("train", "quick", "--grid", "--max-parallel", "2", "--json", "-q").stdout
    )
    assert [r["metrics"]["score"] for r in out["runs"]] == [3.0, 2.0, 1.0]
    assert mlflow_client.get_run(out["parent_run_id"]).info.status == "FINISHED"

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
    )
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_server}),
        get_client(sync_client=True) as client,
    ):
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["train"]))
        )
        [flow_run] = [r for r in runs if r.parameters.get("model_name") == "quick"]
        assert flow_run.state.is_completed()
        assert flow_run.parameters["grid"] is True
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id]))
        )
    # Task run names are "<task name>-<suffix>".
    names = sorted(t.name.rsplit("-", 1)[0] for t in tasks)
    assert names == ["grid-point"] * 3 + ["register-best", "resolve"]
    assert all(t.state.is_completed() for t in tasks)
