"""Sampled prediction logging: prediction_event JSON Lines that the monitor
can read, with allow/deny lists and hashed identifiers."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from .conftest import SALT, Served, records

pytestmark = pytest.mark.slow


def _events(folder) -> list[dict]:
    out = []
    for path in sorted(folder.rglob("*.jsonl")):
        out.extend(json.loads(line) for line in path.read_text().splitlines())
    return out


def test_served_rows_are_logged_as_prediction_events(
    served: Served, telco_frame
) -> None:
    from zebraops_core.events import validate_event

    rows = telco_frame.iloc[100:105]
    resp = served.post(
        {"dataframe_records": records(rows)}, headers={"X-Request-ID": "log-test-1"}
    )
    assert resp.status_code == 200
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    folder = served.project.root / "cached_data" / "serving_logs" / "churn"
    deadline = time.monotonic() + 30
    mine: list[dict] = []
    while time.monotonic() < deadline:
        mine = [e for e in _events(folder) if e["request_id"] == "log-test-1"]
        if len(mine) == 5:
            break
        time.sleep(0.1)
    assert len(mine) == 5
    assert all(p.parent.name == day for p in folder.rglob("*.jsonl"))
    assert not list(folder.rglob(".*")), "temporary files left behind"
    body = resp.json()
    for event in sorted(mine, key=lambda e: e["row"]):
        validate_event("prediction_event", event)
        i = event["row"]
        assert event["event_type"] == "prediction"
        assert event["model"] == "churn" and event["alias"] == "prod"
        assert event["model_version"] == body["model_version"]
        assert event["outputs"]["prediction"] == body["predictions"][i]
        assert event["outputs"]["probabilities"] == dict(
            zip(map(str, body["classes"]), body["probabilities"][i], strict=True)
        )
        raw_id = rows.iloc[i]["customerID"]
        digest = hashlib.sha256((SALT + raw_id).encode()).hexdigest()
        assert event["inputs"]["customerID"] == f"sha256:{digest}"
        assert event["inputs"]["tenure"] == int(rows.iloc[i]["tenure"])
        datetime.fromisoformat(event["timestamp"])


def test_monitor_reads_the_serving_log(served: Served, telco_frame) -> None:
    sources = pytest.importorskip("zebraops_core.monitoring.sources")
    from zebraops_core.context import Context

    served.post(
        {"dataframe_records": records(telco_frame.head(2))},
        headers={"X-Request-ID": "log-test-2"},
    )
    ctx = Context(project_dir=served.project.root)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        events = sources.read_events(ctx, "churn")
        if any(e["request_id"] == "log-test-2" for e in events):
            break
        time.sleep(0.1)
    rows = sources.event_rows(
        next(e for e in events if e["request_id"] == "log-test-2")
    )
    assert rows and "MonthlyCharges" in rows[0]


def _table(data: dict):
    import numpy as np
    from zebraops_serve.validation import Table

    n = len(next(iter(data.values())))
    return Table({k: np.array(v, dtype=object) for k, v in data.items()}, n)


def _logged_model():
    from zebraops_serve.model import LoadedModel

    return LoadedModel(
        name="m",
        alias="prod",
        version="3",
        run_id="r",
        flavor="sklearn",
        model=None,
        columns=None,
        classes=["No", "Yes"],
        dataset_ids={},
        loaded_at="",
        load_seconds=0.0,
    )


def test_allowlist_denylist_sampling_and_object_store(moto_s3, tmp_path) -> None:
    import boto3
    import numpy as np
    import s3fs
    from zebraops_serve.model import Prediction
    from zebraops_serve.predlog import PredictionLogger

    boto3.client("s3", endpoint_url=moto_s3).create_bucket(Bucket="logs")
    opts = {"client_kwargs": {"endpoint_url": moto_s3}}
    frame = _table({"id": ["a", "b", "c", "d"], "x": [1, 2, 3, 4], "secret": ["s"] * 4})
    out = Prediction(
        np.array(["No", "Yes", "No", "Yes"], dtype=object),
        np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]]),
    )
    allow = PredictionLogger(
        "s3://logs/serving_logs",
        "m",
        1.0,
        allow=("id", "x"),
        hash_columns=("id",),
        salt="z",
        storage_options=opts,
    )
    allow.record("r1", _logged_model(), frame, out, {2: ["a note"]})
    [uri] = allow.flush()
    assert uri.startswith("s3://logs/serving_logs/m/") and uri.endswith(".jsonl")
    fs = s3fs.S3FileSystem(**opts)
    lines = [json.loads(x) for x in fs.cat_file(uri).decode().splitlines()]
    assert [e["row"] for e in lines] == [0, 1, 2, 3]
    assert set(lines[0]["inputs"]) == {"id", "x"}
    assert lines[0]["inputs"]["id"].startswith("sha256:")
    assert lines[2]["notes"] == ["a note"]
    assert lines[1]["outputs"] == {
        "prediction": "Yes",
        "probabilities": {"No": 0.2, "Yes": 0.8},
    }

    deny = PredictionLogger(str(tmp_path), "m", 0.5, deny=("secret",))
    many = _table(
        {"id": list("abcd") * 250, "x": [1, 2, 3, 4] * 250, "secret": ["s"] * 1000}
    )
    many_out = Prediction(
        np.repeat(out.predictions, 250), np.repeat(out.probabilities, 250, axis=0)
    )
    deny.record("r2", _logged_model(), many, many_out, {})
    files = deny.flush()
    events = [json.loads(x) for f in files for x in Path(f).read_text().splitlines()]
    assert 300 < len(events) < 700  # about half of 1,000 rows
    assert all("secret" not in e["inputs"] for e in events)
    assert deny.flush() == []


def test_sample_rate_zero_logs_nothing(tmp_path) -> None:
    import numpy as np
    from zebraops_serve.model import Prediction
    from zebraops_serve.predlog import PredictionLogger

    off = PredictionLogger(str(tmp_path), "m", 0.0)
    off.record(
        "r",
        _logged_model(),
        _table({"x": [1]}),
        Prediction(np.array(["No"], dtype=object)),
        {},
    )
    assert off.flush() == []
    assert not list(tmp_path.iterdir())
