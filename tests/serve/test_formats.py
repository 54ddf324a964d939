"""The same rows give the same predictions in every accepted format, and
the same as the pipeline itself."""

from __future__ import annotations

import json

import pytest

from .conftest import Served, feature_columns, records

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows(telco_frame):
    return telco_frame.sample(40, random_state=7).reset_index(drop=True)


def _bodies(frame) -> dict[str, tuple[str, bytes]]:
    recs = records(frame)
    cols = list(frame.columns)
    features = [c for c in cols if c != "customerID"]
    js = "application/json"
    return {
        "dataframe_split": (
            js,
            json.dumps(
                {
                    "dataframe_split": {
                        "columns": cols,
                        "data": [[r[c] for c in cols] for r in recs],
                    }
                }
            ).encode(),
        ),
        "dataframe_records": (js, json.dumps({"dataframe_records": recs}).encode()),
        "instances": (js, json.dumps({"instances": recs}).encode()),
        "inputs-columns": (
            js,
            json.dumps({"inputs": {c: [r[c] for r in recs] for c in cols}}).encode(),
        ),
        "instances-lists": (
            js,
            json.dumps(
                {"instances": [[r[c] for c in features] for r in recs]}
            ).encode(),
        ),
        "csv": ("text/csv; charset=utf-8", frame.to_csv(index=False).encode()),
    }


def test_every_format_gives_the_same_predictions(served: Served, rows) -> None:
    import mlflow

    answers = {}
    for name, (ctype, body) in _bodies(rows).items():
        resp = served.post(content=body, headers={"Content-Type": ctype})
        assert resp.status_code == 200, (name, resp.text)
        answers[name] = resp.json()
    first = answers["dataframe_split"]
    for name, body in answers.items():
        assert body["predictions"] == first["predictions"], name
        assert body["probabilities"] == first["probabilities"], name
    # The pipeline itself agrees.
    version = first["model_version"]
    pipe = mlflow.sklearn.load_model(f"models:/churn/{version}")
    X = rows[feature_columns(rows)]
    assert first["predictions"] == pipe.predict(X).tolist()
    expected = pipe.predict_proba(X)
    for got, want in zip(first["probabilities"], expected.tolist(), strict=True):
        assert got == pytest.approx(want, abs=1e-12)


def test_single_row_as_object_of_scalars(served: Served, rows) -> None:
    one = records(rows.head(1))[0]
    a = served.post({"inputs": one}).json()
    b = served.post({"dataframe_records": [one]}).json()
    assert a["predictions"] == b["predictions"]
    assert a["probabilities"] == b["probabilities"]


def test_integral_floats_are_accepted_for_integer_columns(served: Served, rows) -> None:
    recs = records(rows.head(5))
    as_float = [
        {**r, "tenure": float(r["tenure"]), "SeniorCitizen": float(r["SeniorCitizen"])}
        for r in recs
    ]
    a = served.post({"dataframe_records": recs}).json()
    b = served.post({"dataframe_records": as_float}).json()
    assert a["predictions"] == b["predictions"]
    assert a["probabilities"] == b["probabilities"]
