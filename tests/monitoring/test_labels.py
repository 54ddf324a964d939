"""Labels joined to prediction events: performance windows and decay."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from zebraops_core.errors import DataError
from zebraops_core.events import read_events
from zebraops_core.monitoring import monitor
from zebraops_core.state import tables

from .conftest import prediction_events, write_csv, write_serving_log


@pytest.fixture(autouse=True)
def _forget_performance(ctx):
    """Labels of one test must not make another test's monitor recommend."""
    yield
    with ctx.store.begin() as conn:
        conn.execute(
            tables.performance.delete().where(tables.performance.c.model == "churn")
        )


def _labelled(prod_project, telco_frame, tmp_path, *, flip: bool):
    """Prediction events for 400 rows over two days, and their labels."""
    frame = telco_frame.sample(n=400, random_state=5).reset_index(drop=True)
    start = datetime.now(timezone.utc) - timedelta(days=1, hours=12)
    records = prediction_events(
        frame,
        version=prod_project["version"],
        start=start,
        step_s=300,
        prefix="flip" if flip else "good",
    )
    # Probabilities that track the truth (or its opposite when flip)
    for record, churn in zip(records, frame["Churn"], strict=True):
        p = 0.8 if (churn == "Yes") != flip else 0.2
        record["outputs"] = {
            "prediction": int(p > 0.5),
            "probabilities": {"0": 1 - p, "1": p},
        }
    write_serving_log(
        prod_project["root"], records, name=f"labels-{'flip' if flip else 'good'}.jsonl"
    )
    labels = pd.DataFrame(
        {
            "request_id": [r["request_id"] for r in records],
            "row": 0,
            "label": frame["Churn"],
        }
    )
    return write_csv(labels, tmp_path / "labels.csv"), records


def test_labels_ingest_scores_windows(zebra, ctx, prod_project, telco_frame, tmp_path):
    path, records = _labelled(prod_project, telco_frame, tmp_path, flip=False)
    out = zebra(
        "--project",
        prod_project["root"],
        "labels",
        "ingest",
        "churn",
        path,
        "--window",
        "1d",
        "--json",
    )
    rows = json.loads(out.stdout)
    declared = {m.name for m in ctx.project.load_model("churn").metrics}
    assert {r["metric"] for r in rows} == declared and "roc_auc" in declared
    assert len(rows) >= 2  # 400 rows * 5 min span two daily windows
    assert sum(r["rows"] for r in rows if r["metric"] == "roc_auc") == 400
    assert all(r["value"] == pytest.approx(1.0) for r in rows)  # perfect scores
    with ctx.store.begin() as conn:
        stored = conn.execute(
            sa.select(tables.performance).where(tables.performance.c.model == "churn")
        ).all()
    assert len(stored) >= len(rows)
    events = read_events(ctx.settings, "churn", "performance_event")
    assert events and events[-1]["event"] == "performance_event"
    shown = json.loads(
        zebra(
            "--project", prod_project["root"], "labels", "show", "churn", "--json"
        ).stdout
    )
    assert len(shown) == len(rows)
    # Re-ingesting the same labels replaces the windows, does not duplicate
    zebra("--project", prod_project["root"], "labels", "ingest", "churn", path)
    with ctx.store.begin() as conn:
        again = conn.execute(
            sa.select(tables.performance).where(tables.performance.c.model == "churn")
        ).all()
    assert len(again) == len(stored)


def test_monitor_reports_performance_decay(ctx, prod_project, telco_frame, tmp_path):
    from zebraops_core.monitoring.labels import ingest_labels

    path, _ = _labelled(prod_project, telco_frame, tmp_path, flip=True)
    ingest_labels(ctx, "churn", str(path), window="1d")
    sample = telco_frame.sample(n=500, random_state=9)
    result = monitor(ctx, "churn", str(write_csv(sample, tmp_path / "cur.csv")))
    perf = result.details["performance"]
    assert perf["metric"] == "roc_auc" and perf["decayed"] is True
    assert perf["training"] > 0.7 and perf["current"] < 0.5
    assert result.recommendation is True
    assert any("roc_auc fell" in r for r in result.reasons)


def test_bad_label_records_name_the_field(ctx, prod_project, tmp_path):
    from zebraops_core.monitoring.labels import ingest_labels

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"request_id": "req-1", "label": "Yes"}\n'
        '{"request_id": "req-2", "label": {"x": 1}}\n'
    )
    with pytest.raises(DataError, match="record 2.*field 'label'"):
        ingest_labels(ctx, "churn", str(bad))
    missing = tmp_path / "missing.csv"
    missing.write_text("id,label\n1,Yes\n")
    with pytest.raises(DataError, match="request_id"):
        ingest_labels(ctx, "churn", str(missing))
