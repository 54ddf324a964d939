"""Every refused input gives the right status and a JSON message naming the
cause; a non-finite model output becomes null with a note."""

from __future__ import annotations

import json

import pytest

from .conftest import Served, records

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def good(telco_frame) -> list[dict]:
    return records(telco_frame.head(3))


def _error(resp, status: int) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_missing_columns_are_listed(served: Served, good) -> None:
    rows = [
        {k: v for k, v in r.items() if k not in ("tenure", "Contract")} for r in good
    ]
    body = _error(served.post({"dataframe_records": rows}), 422)
    assert body["missing_columns"] == ["tenure", "Contract"]
    assert "tenure" in body["message"] and "Contract" in body["message"]


def test_extra_columns_are_dropped_and_reported(served: Served, good) -> None:
    rows = [{**r, "shoe_size": 42} for r in good]
    resp = served.post({"dataframe_records": rows})
    assert resp.status_code == 200
    assert resp.json()["dropped_columns"] == ["customerID", "shoe_size"]


def test_strict_mode_refuses_extra_columns(strict_served: Served, good) -> None:
    body = _error(strict_served.post({"dataframe_records": good[:1]}), 422)
    assert body["extra_columns"] == ["customerID"]
    assert "customerID" in body["message"]
    clean = [{k: v for k, v in good[0].items() if k != "customerID"}]
    assert strict_served.post({"dataframe_records": clean}).status_code == 200


def test_non_integral_float_for_integer_column(served: Served, good) -> None:
    rows = [{**good[0], "tenure": 1.5}]
    body = _error(served.post({"dataframe_records": rows}), 422)
    assert "'tenure'" in body["message"] and "1.5" in body["message"]
    assert body["errors"][0]["column"] == "tenure"


def test_null_in_required_column_is_named(served: Served, good) -> None:
    rows = [good[0], {**good[1], "Contract": None}]
    body = _error(served.post({"dataframe_records": rows}), 422)
    assert "'Contract'" in body["message"] and "null" in body["message"]
    assert "[1]" in body["message"]  # the row


def test_null_in_optional_column_is_predicted(served: Served, good) -> None:
    # The example declares numeric columns optional: its pipeline imputes
    # them, as TotalCharges is blank for new customers.
    rows = [good[0], {**good[1], "TotalCharges": None}]
    resp = served.post({"dataframe_records": rows})
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["predictions"]) == 2


def test_null_in_csv_is_named(served: Served, telco_frame) -> None:
    csv = telco_frame.head(2).to_csv(index=False).replace(",Male,", ",,", 1)
    csv = csv.replace(",Female,", ",,", 1)
    body = _error(served.post(content=csv, headers={"Content-Type": "text/csv"}), 422)
    assert "'gender'" in body["message"]


@pytest.mark.parametrize(
    ("column", "value", "expect"),
    [
        ("MonthlyCharges", "lots", "expects numbers"),
        ("tenure", "ten", "expects integers"),
        ("tenure", True, "booleans"),
        ("tenure", 2**70, "out of range"),
        ("gender", 3, "expects strings"),
        ("TotalCharges", [1, 2], "expects numbers"),
    ],
)
def test_wrong_types_name_the_column(
    served: Served, good, column, value, expect
) -> None:
    rows = [{**good[0], column: value}]
    body = _error(served.post({"dataframe_records": rows}), 422)
    assert f"'{column}'" in body["message"]
    assert expect in body["message"]


def test_several_bad_columns_are_all_reported(served: Served, good) -> None:
    rows = [{**good[0], "tenure": "x", "gender": 1}]
    body = _error(served.post({"dataframe_records": rows}), 422)
    assert {e["column"] for e in body["errors"]} == {"tenure", "gender"}


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", None])
def test_unsupported_content_type(served: Served, good, ctype) -> None:
    body = json.dumps({"dataframe_records": good}).encode()
    headers = {"Content-Type": ctype} if ctype else {"Content-Type": ""}
    err = _error(served.post(content=body, headers=headers), 415)
    assert err["accepted_types"] == ["application/json", "text/csv"]
    assert "application/json" in err["message"]


def test_body_over_the_limit(strict_served: Served, good) -> None:
    body = json.dumps({"dataframe_records": good * 5}).encode()
    assert len(body) > 1000
    err = _error(
        strict_served.post(content=body, headers={"Content-Type": "application/json"}),
        413,
    )
    assert err["limit_bytes"] == 1000 and "1000" in err["message"]


def test_body_over_the_limit_without_content_length(
    strict_served: Served, good
) -> None:
    body = json.dumps({"dataframe_records": good * 5}).encode()

    def chunks():
        for i in range(0, len(body), 100):
            yield body[i : i + 100]

    err = _error(
        strict_served.post(
            content=chunks(), headers={"Content-Type": "application/json"}
        ),
        413,
    )
    assert err["limit_bytes"] == 1000


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be an object"),
        (b'{"rows": []}', "exactly one of"),
        (b'{"dataframe_records": [], "instances": []}', "exactly one of"),
        (b'{"dataframe_records": []}', "no rows"),
        (b'{"dataframe_records": [1, 2]}', "list of objects"),
        (b'{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}', "do not have 1"),
        (
            b'{"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}',
            "duplicate",
        ),
        (b'{"instances": [[1, 2]]}', "do not have 19"),
        (b"", "empty request body"),
    ],
)
def test_malformed_json(served: Served, content, expect) -> None:
    err = _error(
        served.post(content=content, headers={"Content-Type": "application/json"}), 422
    )
    assert expect in err["message"]


def test_malformed_csv(served: Served) -> None:
    err = _error(
        served.post(content=b'a,b\n"1,2\n', headers={"Content-Type": "text/csv"}), 422
    )
    assert "CSV" in err["message"] or "missing columns" in err["message"]


def test_non_finite_output_becomes_null_with_a_note(overflow_served: Served) -> None:
    resp = overflow_served.post({"dataframe_records": [{"x": 1.0}, {"x": 1e10}]})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["predictions"][0] == pytest.approx(1e300)
    assert body["predictions"][1] is None
    assert body["notes"] == [
        {"row": 1, "note": "non-finite prediction (inf) replaced by null"}
    ]
    assert "probabilities" not in body
    metrics = overflow_served.get("/metrics").text
    assert 'zebra_serve_prediction_value_count{model_version="1"} 1.0' in metrics


def test_non_finite_input_is_refused(overflow_served: Served) -> None:
    resp = overflow_served.post(
        content=b'{"dataframe_records": [{"x": 1e999}]}',
        headers={"Content-Type": "application/json"},
    )
    err = _error(resp, 422)
    assert "'x'" in err["message"] or "JSON" in err["message"]
