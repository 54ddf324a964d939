"""Every endpoint of a real ``zebra serve`` process."""

from __future__ import annotations

import pytest

from .conftest import Served, records

pytestmark = pytest.mark.slow


def test_health_and_ready(served: Served) -> None:
    health = served.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = served.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True


def test_model_describes_the_served_version(served: Served) -> None:
    body = served.get("/model").json()
    client = served.project.client()
    mv = client.get_model_version_by_alias(body["name"], "prod")
    assert body["name"] == "churn" and body["alias"] == "prod"
    assert body["version"] == str(mv.version)
    assert body["run_id"] == mv.run_id
    tags = mv.tags
    assert body["dataset_manifest_ids"] == {
        k.removeprefix("zebra.dataset."): v
        for k, v in tags.items()
        if k.startswith("zebra.dataset.")
    }
    assert set(body["dataset_manifest_ids"]) >= {"train", "test"}
    assert body["dataset_manifest_ids"]["train"].startswith("telco_churn-")
    assert body["loaded_at"].endswith("+00:00")
    assert len(body["classes"]) == 2


def test_predict_answers_with_probabilities(served: Served, telco_frame) -> None:
    rows = records(telco_frame.head(3))
    resp = served.post({"dataframe_records": rows})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert len(body["predictions"]) == 3
    assert set(body["predictions"]) <= set(body["classes"])
    assert len(body["classes"]) == 2
    for p in body["probabilities"]:
        assert abs(sum(p) - 1) < 1e-9
    assert body["model"] == "churn" and body["alias"] == "prod"
    assert body["model_version"] == served.get("/model").json()["version"]
    # customerID is no model input: dropped and reported.
    assert body["dropped_columns"] == ["customerID"]
    assert resp.headers["x-request-id"] == body["request_id"]


def test_request_id_is_taken_from_the_header(served: Served, telco_frame) -> None:
    resp = served.post(
        {"dataframe_records": records(telco_frame.head(1))},
        headers={"X-Request-ID": "req-42"},
    )
    assert resp.json()["request_id"] == "req-42"


def test_predict_needs_the_bearer_token(served: Served, telco_frame) -> None:
    body = {"dataframe_records": records(telco_frame.head(1))}
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
        resp = served.post(body, headers=headers)
        assert resp.status_code == 401
        assert "bearer token" in resp.json()["message"]
        assert resp.headers["www-authenticate"] == "Bearer"
    # Ops endpoints stay open.
    assert served.get("/health").status_code == 200


def test_metrics(served: Served, telco_frame) -> None:
    answer = served.post({"dataframe_records": records(telco_frame.head(20))}).json()
    served.post({"dataframe_records": [{"gender": "Male"}]})
    resp = served.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    version = served.get("/model").json()["version"]
    assert (
        'zebra_serve_requests_total{method="POST",route="/predict",status="200"}'
        in text
    )
    assert (
        'zebra_serve_requests_total{method="POST",route="/predict",status="422"}'
        in text
    )
    assert (
        'zebra_serve_request_duration_seconds_bucket{le="0.1",method="POST",route="/predict"}'
        in text
    )
    for label in set(answer["predictions"]):
        assert (
            f'zebra_serve_predictions_total{{model_version="{version}",'
            f'prediction="{label}"}}' in text
        )
    assert f'zebra_serve_model_load_seconds{{model_version="{version}"}}' in text
    info = [
        line for line in text.splitlines() if line.startswith("zebra_serve_model_info{")
    ]
    assert len(info) == 1 and f'model_version="{version}"' in info[0]
    assert info[0].endswith(" 1.0")


def test_unknown_route_is_json(served: Served) -> None:
    resp = served.get("/nope")
    assert resp.status_code == 404
    assert resp.json()["message"] == "no route /nope"
    import httpx

    resp = httpx.get(f"{served.url}/predict")
    assert resp.status_code == 405
    assert "not allowed" in resp.json()["message"]


def test_endpoint_recorded_in_state_store(served: Served) -> None:
    import sqlalchemy as sa

    from zebraops_core.state import open_store, tables

    store = open_store(served.project.settings.state_url)
    with store.begin() as conn:
        rows = (
            conn.execute(
                sa.select(tables.endpoints).where(tables.endpoints.c.model == "churn")
            )
            .mappings()
            .all()
        )
    # Other servers of this project (stopped ones) have rows too.
    mine = [r for r in rows if r["pid"] == served.proc.pid]
    assert len(mine) == 1, rows
    row = mine[0]
    assert row["url"] == served.url
    assert row["alias"] == "prod"
    assert row["pid"] == served.proc.pid
    assert row["stopped_at"] is None
    assert row["data"]["sample_rate"] == 1.0
