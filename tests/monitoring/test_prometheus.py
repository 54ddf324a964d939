"""Prometheus gauges from the state store: render, `zebra metrics serve`, push."""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from zebraops_core.monitoring import monitor
from zebraops_core.monitoring.prometheus import render

from ..helpers import free_port, server_process
from .conftest import write_csv

BIN = Path(sys.executable).parent


@pytest.fixture
def drifted_result(ctx, telco_frame, tmp_path):
    changed = telco_frame.sample(n=800, random_state=11).copy()
    changed["Contract"] = "Two year"
    changed["tenure"] = changed["tenure"] + 40
    changed["MonthlyCharges"] = changed["MonthlyCharges"] + 60
    changed["InternetService"] = "No"
    changed["PaymentMethod"] = "Mailed check"
    changed["TotalCharges"] = changed["TotalCharges"] * 3
    return monitor(ctx, "churn", str(write_csv(changed, tmp_path / "d.csv")))


def _value(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{prefix} not in:\n{text}")


def test_gauges_read_the_latest_result(ctx, drifted_result):
    text = render(ctx.store).decode()
    share = _value(text, 'zebra_monitor_drift_share{model="churn"}')
    assert share == pytest.approx(drifted_result.drift_share)
    assert _value(text, 'zebra_monitor_dataset_drift{model="churn"}') == 1.0
    assert _value(text, 'zebra_monitor_rows_checked{model="churn"}') == 800.0
    assert _value(text, 'zebra_monitor_retrain_recommended{model="churn"}') == 1.0
    assert (
        _value(text, 'zebra_monitor_last_check_timestamp_seconds{model="churn"}')
        > 1.7e9
    )
    tenure = next(c for c in drifted_result.columns if c.column == "tenure")
    line = (
        f'zebra_monitor_column_drift_score{{column="tenure",model="churn",'
        f'test="{tenure.test}"}}'
    )
    assert _value(text, line) == pytest.approx(tenure.score)
    assert (
        _value(text, 'zebra_monitor_column_drifted{column="tenure",model="churn"}')
        == 1.0
    )
    assert 'column="customerID"' not in text  # skipped columns are absent


def _promql(base: str, query: str) -> list:
    import json
    import urllib.parse

    url = f"{base}/api/v1/query?query={urllib.parse.quote(query)}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())["data"]["result"]


def test_zebra_metrics_serve_standalone(
    prod_project, drifted_result, prometheus, tmp_path
):
    port = free_port()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    argv = [BIN / "zebra", "--project", prod_project["root"], "metrics", "serve"]
    argv += ["--port", port]
    url = f"http://127.0.0.1:{port}/metrics"
    with server_process(argv, log=tmp_path / "metrics.log", ready=url, env=env):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as resp:
            text = resp.read().decode()
        assert 'zebra_monitor_drift_share{model="churn"}' in text
        assert "zebra_monitor_column_drift_score" in text

        # A real Prometheus scrapes it and answers PromQL on the gauges.
        base = prometheus([f"127.0.0.1:{port}"])
        deadline = time.monotonic() + 60
        result: list = []
        while time.monotonic() < deadline and not result:
            result = _promql(base, 'zebra_monitor_drift_share{model="churn"}')
            time.sleep(0.5)
        assert result, "Prometheus never scraped zebra metrics serve"
        share = float(result[0]["value"][1])
        assert share == pytest.approx(drifted_result.drift_share)
        drifted = _promql(base, "sum(zebra_monitor_column_drifted) by (model)")
        assert float(drifted[0]["value"][1]) >= 1


def test_pushes_to_a_real_pushgateway_when_configured(
    ctx, telco_frame, tmp_path, monkeypatch, pushgateway
):
    from prometheus_client.parser import text_string_to_metric_families

    monkeypatch.setenv("ZEBRA_PUSHGATEWAY_URL", pushgateway)
    sample = telco_frame.sample(n=300, random_state=2)
    result = monitor(ctx, "churn", str(write_csv(sample, tmp_path / "s.csv")))

    with urllib.request.urlopen(f"{pushgateway}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    pushed = {
        sample.name: sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("job") == "zebraops_monitor"
        and sample.labels.get("model") == "churn"
    }
    assert pushed, "the Pushgateway holds nothing from zebra monitor"
    assert pushed["zebra_monitor_rows_checked"].value == 300
    share = pushed["zebra_monitor_drift_share"].value
    assert share == pytest.approx(result.drift_share)


def test_zebra_metrics_show(zebra, prod_project, drifted_result):
    out = zebra("--project", prod_project["root"], "metrics", "show")
    assert 'zebra_monitor_dataset_drift{model="churn"} 1.0' in out.stdout
    assert "# HELP zebra_monitor_drift_share" in out.stdout
