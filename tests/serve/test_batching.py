"""Concurrent requests share model calls and each caller gets exactly its
own rows back."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from .conftest import Served, feature_columns, records, thread_served

pytestmark = pytest.mark.slow


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in metrics")


async def _fire(url: str, bodies: list[dict], concurrency: int) -> list[dict]:
    import httpx

    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(body: dict) -> dict:
            async with sem:
                resp = await http.post(f"{url}/predict", json=body)
                assert resp.status_code == 200, resp.text
                return resp.json()

        return await asyncio.gather(*(one(b) for b in bodies))


def test_each_caller_gets_its_own_rows(serve_project, telco_frame) -> None:
    import mlflow

    frame = telco_frame.sample(300, random_state=3).reset_index(drop=True)
    # Requests of 1 to 4 distinct rows each.
    bodies, slices, start = [], [], 0
    while start < len(frame):
        size = 1 + start % 4
        part = frame.iloc[start : start + size]
        bodies.append({"dataframe_records": records(part)})
        slices.append((start, start + len(part)))
        start += size
    server, served = thread_served(
        serve_project, model="churn", poll_interval=0, max_wait_ms=20, max_batch_rows=64
    )
    with server:
        answers = asyncio.run(_fire(served.url, bodies, concurrency=16))
        metrics = served.get("/metrics").text
    pipe = mlflow.sklearn.load_model("models:/churn/1")
    X = frame[feature_columns(frame)]
    expected_pred = pipe.predict(X).tolist()
    expected_proba = pipe.predict_proba(X).tolist()
    for answer, (a, b) in zip(answers, slices, strict=True):
        assert answer["predictions"] == expected_pred[a:b]
        assert np.allclose(answer["probabilities"], expected_proba[a:b], atol=1e-12)
    calls = _metric(metrics, "zebra_serve_batch_requests_count")
    batched = _metric(metrics, "zebra_serve_batch_requests_sum")
    assert batched == len(bodies)
    assert calls < len(bodies), "no two requests ever shared a model call"
    assert _metric(metrics, "zebra_serve_batch_rows_sum") == len(frame)


def test_batching_can_be_switched_off(serve_project, telco_frame) -> None:
    bodies = [
        {"dataframe_records": records(telco_frame.iloc[i : i + 2])}
        for i in range(0, 40, 2)
    ]
    server, served = thread_served(
        serve_project, model="churn", poll_interval=0, batching=False
    )
    with server:
        answers = asyncio.run(_fire(served.url, bodies, concurrency=8))
        metrics = served.get("/metrics").text
    assert [len(a["predictions"]) for a in answers] == [2] * 20
    assert "zebra_serve_batch_requests_count 0.0" in metrics


def test_served_process_batches_too(served: Served, telco_frame) -> None:
    bodies = [{"dataframe_records": records(telco_frame.iloc[[i]])} for i in range(40)]

    async def go() -> list[dict]:
        import httpx

        async with httpx.AsyncClient(timeout=60, headers=served.headers) as http:
            return await asyncio.gather(
                *(http.post(f"{served.url}/predict", json=b) for b in bodies)
            )

    responses = asyncio.run(go())
    assert all(r.status_code == 200 for r in responses)
    got = [r.json()["predictions"][0] for r in responses]
    single = [served.post(b).json()["predictions"][0] for b in bodies[:5]]
    assert got[:5] == single
