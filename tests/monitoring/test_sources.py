"""Where current data comes from: serving-log windows, dataset ids, files."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from zebraops_core.errors import ConfigError, NotFound
from zebraops_core.monitoring import monitor
from zebraops_core.monitoring.sources import parse_window

from .conftest import prediction_events, write_serving_log


def test_parse_window():
    assert parse_window("1h") == timedelta(hours=1)
    assert parse_window("24h") == timedelta(hours=24)
    assert parse_window("7d") == timedelta(days=7)
    assert parse_window("30m") == timedelta(minutes=30)
    with pytest.raises(ConfigError, match="cannot read window"):
        parse_window("yesterday")


def test_serving_log_window(zebra, ctx, prod_project, telco_frame):
    now = datetime.now(timezone.utc)
    old = prediction_events(
        telco_frame.head(300), start=now - timedelta(days=3), prefix="old"
    )
    recent = prediction_events(
        telco_frame.iloc[300:700],
        start=now - timedelta(minutes=40),
        step_s=5,
        prefix="recent",
    )
    write_serving_log(prod_project["root"], old, name="old.jsonl")
    write_serving_log(prod_project["root"], recent, name="recent.jsonl")
    result = monitor(ctx, "churn", "serving-log", window="1h")
    assert result.rows_current == 400
    assert result.current_source == "serving-log:1h"
    assert result.details["status"] == "no-drift"
    week = monitor(ctx, "churn", "serving-log", window="7d")
    assert week.rows_current >= 700
    out = zebra(
        "--project",
        prod_project["root"],
        "monitor",
        "churn",
        "--window",
        "1s",
        ok=False,
    )
    assert out.exit_code == 1 and "no prediction events" in out.stderr


def test_dataset_id_and_file_formats(ctx, prod_project, telco_frame, tmp_path):
    by_id = monitor(ctx, "churn", prod_project["dataset"])
    assert by_id.current_source.startswith(f"manifest:{prod_project['dataset']}-")
    assert by_id.rows_current == len(telco_frame)
    assert by_id.dataset_drift is False
    sample = telco_frame.sample(n=500, random_state=4)
    sample.to_parquet(tmp_path / "c.parquet")
    sample.to_json(tmp_path / "c.jsonl", orient="records", lines=True)
    for name in ("c.parquet", "c.jsonl"):
        result = monitor(ctx, "churn", str(tmp_path / name))
        assert result.rows_current == 500 and result.dataset_drift is False


def test_unknown_current_dataset(ctx, prod_project):
    with pytest.raises(NotFound):
        monitor(ctx, "churn", "no_such_dataset")
    with pytest.raises(ConfigError, match="--window"):
        monitor(ctx, "churn", prod_project["dataset"], window="1h")


def test_monitor_runs_as_a_prefect_flow(
    ctx, prod_project, telco_frame, tmp_path, prefect_server, monkeypatch
):
    from zebraops_core.context import Context

    from .conftest import write_csv

    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    ctx = Context(project_dir=prod_project["root"])
    assert ctx.settings.prefect_api_url == prefect_server
    sample = telco_frame.sample(n=400, random_state=12)
    result = monitor(ctx, "churn", str(write_csv(sample, tmp_path / "p.csv")))
    assert result.rows_current == 400 and result.details["status"] == "no-drift"

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Prefect reads its environment once per process: name the server.
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_server}),
        get_client(sync_client=True) as client,
    ):
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["monitor"]))
        )
        tasks = client.read_task_runs()
    assert runs and runs[0].state.is_completed()
    names = {t.name.rsplit("-", 1)[0] for t in tasks}
    assert {"load-reference", "load-current", "check-drift"} <= names
