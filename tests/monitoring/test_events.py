"""Event schemas: every kind validates a good record and names a bad field."""

from __future__ import annotations

import json

import pytest

from zebraops_core.errors import ConfigError, DataError
from zebraops_core.events import KINDS, schemas_dir, validate_event

NOW = "2026-12-03T13:45:00+00:00"

GOOD = {
    "drift_event": {
        "event": "drift_event",
        "model": "churn",
        "model_version": "3",
        "timestamp": NOW,
        "monitor_id": "churn-x",
        "drift_share": 0.4,
        "dataset_drift": True,
        "recommendation": True,
        "reasons": ["r"],
        "columns": [
            {
                "column": "tenure",
                "status": "drifted",
                "score": 0.3,
                "test": "Wasserstein distance (normed)",
                "threshold": 0.1,
                "reason": "",
            },
            {"column": "id", "status": "skipped", "score": None},
        ],
    },
    "data_quality_event": {
        "event": "data_quality_event",
        "model": "churn",
        "timestamp": NOW,
        "monitor_id": "churn-x",
        "rows_current": 10,
        "columns": {"tenure": {"missing_current": 0.0}},
    },
    "label_event": {"request_id": "req-1", "label": "Yes"},
    "performance_event": {
        "event": "performance_event",
        "model": "churn",
        "timestamp": NOW,
        "window_start": NOW,
        "window_end": NOW,
        "metric": "roc_auc",
        "value": None,
        "rows": 3,
    },
    "incident_event": {
        "event": "incident_event",
        "model": "churn",
        "timestamp": NOW,
        "severity": "warning",
        "kind": "drift",
        "message": "tenure moved",
    },
    "prediction_event": {
        "event_type": "prediction",
        "request_id": "r",
        "model": "churn",
        "model_version": "1",
        "alias": "prod",
        "timestamp": NOW,
        "inputs": {"tenure": 3},
        "outputs": {"prediction": 1},
    },
}


def test_every_kind_has_a_schema_file():
    for kind in KINDS:
        schema = json.loads((schemas_dir() / f"{kind}.schema.json").read_text())
        assert schema["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_good_records_pass(kind):
    assert validate_event(kind, GOOD[kind]) is None  # raises when invalid


@pytest.mark.parametrize(
    "kind,change,field",
    [
        ("drift_event", {"drift_share": 1.5}, "drift_share"),
        (
            "drift_event",
            {"columns": [{"column": "a", "status": "weird", "score": 1}]},
            "columns.0.status",
        ),
        ("label_event", {"label": None}, "label"),
        ("performance_event", {"rows": -1}, "rows"),
        ("incident_event", {"severity": "meh"}, "severity"),
        ("data_quality_event", {"rows_current": "ten"}, "rows_current"),
    ],
)
def test_bad_field_is_named(kind, change, field):
    with pytest.raises(DataError, match=rf"{kind}: field '{field}'"):
        validate_event(kind, {**GOOD[kind], **change})


def test_missing_field_is_named():
    record = dict(GOOD["label_event"])
    del record["request_id"]
    with pytest.raises(DataError, match="field 'request_id'"):
        validate_event("label_event", record)


def test_unknown_kind():
    with pytest.raises(ConfigError, match="unknown event kind"):
        validate_event("nope_event", {})


def test_monitor_emits_valid_events(ctx, prod_project, telco_frame, tmp_path):
    from zebraops_core.events import read_events
    from zebraops_core.monitoring import monitor

    from .conftest import write_csv

    result = monitor(
        ctx,
        "churn",
        str(write_csv(telco_frame.sample(n=400, random_state=1), tmp_path / "c.csv")),
    )
    drift = [
        e
        for e in read_events(ctx.settings, "churn", "drift_event")
        if e["monitor_id"] == result.id
    ]
    quality = [
        e
        for e in read_events(ctx.settings, "churn", "data_quality_event")
        if e["monitor_id"] == result.id
    ]
    assert len(drift) == 1 and len(quality) == 1
    validate_event("drift_event", drift[0])
    assert drift[0]["drift_share"] == result.drift_share
    assert "tenure" in quality[0]["columns"]
