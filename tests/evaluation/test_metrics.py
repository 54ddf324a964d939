"""Metrics by name and the report's numbers and HTML, on real arrays."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from zebraops_core.evaluation import metrics as m
from zebraops_core.evaluation.report import render_html, split_details


@pytest.fixture
def binary():
    rng = np.random.default_rng(1)
    y = rng.choice(["No", "Yes"], 400, p=[0.7, 0.3])
    p = np.clip((y == "Yes") * 0.4 + rng.uniform(0, 0.6, 400), 0, 1)
    return y.astype(object), np.stack([1 - p, p], axis=1)


def test_classifier_metrics_match_sklearn_with_string_classes(binary):
    y, scores = binary
    truth = (y == "Yes").astype(int)
    pred = (scores[:, 1] >= 0.5).astype(int)
    got = m.compute_all(m.DEFAULT_METRICS["classification"], y, scores, ["No", "Yes"])
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(truth, scores[:, 1]))
    assert got["pr_auc"] == pytest.approx(
        skm.average_precision_score(truth, scores[:, 1])
    )
    assert got["f1"] == pytest.approx(skm.f1_score(truth, pred))
    assert got["precision"] == pytest.approx(skm.precision_score(truth, pred))
    assert got["recall"] == pytest.approx(skm.recall_score(truth, pred))
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(truth, pred))
    assert got["log_loss"] == pytest.approx(skm.log_loss(truth, scores[:, 1]))
    assert got["brier"] == pytest.approx(skm.brier_score_loss(truth, scores[:, 1]))


def test_decision_threshold_changes_label_metrics_only(binary):
    y, scores = binary
    low = m.compute_all(["f1", "roc_auc"], y, scores, ["No", "Yes"], threshold=0.2)
    high = m.compute_all(["f1", "roc_auc"], y, scores, ["No", "Yes"], threshold=0.8)
    assert low["roc_auc"] == high["roc_auc"]
    assert low["f1"] != high["f1"]


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(2)
    y = rng.normal(10, 3, 300)
    pred = y + rng.normal(0, 1, 300)
    got = m.compute_all(["rmse", "mae", "r2"], y, pred)
    assert got["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(y, pred)))
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert got["r2"] == pytest.approx(skm.r2_score(y, pred))


def test_undefined_metric_is_nan_and_unknown_names_are_skipped():
    y = np.array(["No"] * 5, dtype=object)
    scores = np.tile([0.8, 0.2], (5, 1))
    assert math.isnan(m.compute("roc_auc", y, scores, ["No", "Yes"]))
    declared = ["custom_score", "rmse", "f1", "roc_auc"]
    assert m.check_declared(declared, "classification") == ["f1", "roc_auc"]
    assert m.check_declared(declared, "regression") == ["rmse"]


def _report(task: str, details: dict) -> dict:
    return {
        "model": "churn",
        "run_id": "r",
        "model_version": "3",
        "task": task,
        "created_at": "now",
        "metrics_declared": [
            {"name": "roc_auc", "direction": "maximize", "threshold": 0.7}
        ],
        "splits": {"valid": {**details, "source": "telco-0123"}},
    }


def test_classifier_report_has_curves_calibration_and_segments(binary):
    y, scores = binary
    frame = pd.DataFrame(
        {
            "Contract": np.where(np.arange(400) % 3, "Month-to-month", "Two year"),
            "tenure": np.arange(400),
        }
    )
    details = split_details(
        "classification",
        frame,
        y,
        scores,
        ["No", "Yes"],
        0.5,
        ["roc_auc"],
        ["Contract", "tenure", "absent"],
    )
    cls = details["classification"]
    assert sum(sum(r) for r in cls["confusion_matrix"]["matrix"]) == 400
    assert len(cls["roc_curve"]["fpr"]) <= 200
    assert sum(b["count"] for b in cls["calibration"]["bins"]) == 400
    contract = details["segments"]["Contract"]["rows"]
    assert {r["value"] for r in contract} == {"Month-to-month", "Two year"}
    assert sum(r["rows"] for r in contract) == 400
    assert len(details["segments"]["tenure"]["rows"]) == 5  # quantile bins
    assert details["segments"]["absent"]["missing"] is True

    page = render_html(_report("classification", details))
    assert page.count("<svg") == 4
    for title in (
        "ROC curve",
        "Precision-recall curve",
        "Confusion matrix",
        "Calibration",
        "By Contract",
        "By tenure",
    ):
        assert title in page
    assert "src=" not in page and 'href="http' not in page  # self-contained


def test_regressor_report_has_residual_plots():
    rng = np.random.default_rng(3)
    y = rng.normal(50, 10, 200)
    pred = y + rng.normal(0, 2, 200)
    frame = pd.DataFrame({"region": rng.choice(["a", "b"], 200)})
    details = split_details(
        "regression", frame, y, pred, None, 0.5, ["rmse"], ["region"]
    )
    assert details["regression"]["residuals"]["std"] == pytest.approx(np.std(y - pred))
    assert {"rmse", "mae", "r2"} <= set(details["metrics"])
    page = render_html(_report("regression", details))
    assert "Residuals" in page and page.count("<svg") == 2
    assert "By region" in page
