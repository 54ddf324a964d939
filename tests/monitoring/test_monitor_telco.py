"""zebra monitor on the real Telco data: holdout, shifted numbers, new mix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from zebraops_core.monitoring import monitor
from zebraops_core.state import tables

from .conftest import write_csv


def _holdout(telco_frame, prod_project, ctx):
    """Rows never in the train split: the valid + test splits."""
    from zebraops_core.monitoring.sources import load_manifest, read_table

    manifest = load_manifest(ctx, prod_project["manifest_id"])
    train_ids = set(read_table(ctx, manifest.splits["train"].uri)["customerID"])
    return telco_frame[~telco_frame["customerID"].isin(train_ids)]


def test_random_holdout_shows_no_drift(ctx, prod_project, telco_frame, tmp_path):
    holdout = _holdout(telco_frame, prod_project, ctx)
    assert len(holdout) > 1500
    path = write_csv(holdout, tmp_path / "holdout.csv")
    result = monitor(ctx, "churn", str(path))
    assert result.details["status"] == "no-drift"
    assert result.dataset_drift is False
    assert result.recommendation is False
    assert result.drift_share < 0.3
    assert result.model_version == prod_project["version"]
    assert result.reference_manifest == prod_project["manifest_id"]
    names = {c.column for c in result.columns}
    assert "Churn" not in names and "customerID" not in names  # target and key
    assert "tenure" in names and "Contract" in names
    for c in result.columns:
        assert c.score is None or np.isfinite(c.score)
    # The HTML report sits in the object store and in the MLflow run
    report = Path(result.report_uri)
    assert report == (
        prod_project["root"] / "cached_data" / "reports" / "churn" / f"{result.id}.html"
    )
    assert "zebraops-columns" in report.read_text()
    from zebraops_core import tracking

    run = tracking.client(ctx.settings).get_run(result.details["mlflow_run_id"])
    assert run.data.tags["zebra.kind"] == "monitor"
    assert run.data.metrics["drift_share"] == pytest.approx(result.drift_share)
    artifacts = {
        a.path
        for a in tracking.client(ctx.settings).list_artifacts(
            run.info.run_id, "monitor"
        )
    }
    assert f"monitor/{result.id}.html" in artifacts


def test_shifted_tenure_and_charges_drift(ctx, prod_project, telco_frame, tmp_path):
    holdout = _holdout(telco_frame, prod_project, ctx).copy()
    holdout["tenure"] = holdout["tenure"] + 24
    holdout["MonthlyCharges"] = holdout["MonthlyCharges"] * 1.5 + 20
    holdout["TotalCharges"] = holdout["TotalCharges"] * 2
    path = write_csv(holdout, tmp_path / "shifted.csv")
    result = monitor(ctx, "churn", str(path))
    by_name = {c.column: c for c in result.columns}
    assert by_name["tenure"].status == "drifted"
    assert by_name["MonthlyCharges"].status == "drifted"
    assert by_name["Contract"].status == "ok"
    # Three of ~19 columns drift, below drift_share 0.3; the example's
    # model.yaml watches tenure and MonthlyCharges, so a retrain is advised.
    assert 0 < result.drift_share < 0.3
    assert result.recommendation is True
    assert any("tenure" in reason for reason in result.reasons)
    assert any("MonthlyCharges" in reason for reason in result.reasons)


def test_shift_recommends_with_column_override(
    ctx, prod_project, telco_frame, tmp_path
):
    """model.yaml's per-column threshold makes one drifted column enough."""
    from zebraops_core.monitoring.check import analyze
    from zebraops_core.monitoring.sources import prod_reference
    from zebraops_core.specs import MonitoringSpec

    holdout = _holdout(telco_frame, prod_project, ctx).copy()
    holdout["tenure"] = holdout["tenure"] + 24
    spec = ctx.project.load_model("churn")
    ref = prod_reference(ctx, spec)
    settings = MonitoringSpec(drift_share=0.3, column_thresholds={"tenure": 0.2})
    analysis = analyze(
        ref.frame,
        holdout,
        settings,
        column_types=ref.column_types,
        exclude=["Churn", "customerID"],
    )
    assert analysis.recommendation is True
    assert any("tenure" in r and "own threshold" in r for r in analysis.reasons)


def test_contract_mix_changed_drifts_and_recommends(
    zebra, ctx, prod_project, telco_frame, tmp_path
):
    holdout = _holdout(telco_frame, prod_project, ctx)
    monthly = holdout[holdout["Contract"] == "Month-to-month"]
    # Almost everyone on month-to-month, and younger accounts with it
    changed = monthly.sample(n=1500, replace=True, random_state=1).copy()
    changed["tenure"] = (changed["tenure"] * 0.3).round().astype(int)
    changed["TotalCharges"] = changed["TotalCharges"] * 0.3
    changed["PaperlessBilling"] = "Yes"
    changed["PaymentMethod"] = "Electronic check"
    path = write_csv(changed, tmp_path / "contract.csv")
    out = zebra(
        "--project",
        prod_project["root"],
        "monitor",
        "churn",
        "--current",
        path,
        "--json",
    )
    data = json.loads(out.stdout)
    by_name = {c["column"]: c for c in data["columns"]}
    assert by_name["Contract"]["status"] == "drifted"
    assert data["dataset_drift"] is True
    assert data["recommendation"] is True
    assert data["reasons"] and "drift_share" in data["reasons"][0]
    # Stored in the state DB, with the report linked
    with ctx.store.begin() as conn:
        row = conn.execute(
            sa.select(tables.monitor_results).where(
                tables.monitor_results.c.id == data["id"]
            )
        ).one()
    assert row.recommendation is True
    assert row.report_uri == data["report_uri"]
    # The human output prints the recommendation and its reasons
    text = zebra(
        "--project", prod_project["root"], "monitor", "churn", "--current", path
    )
    assert "Retrain recommended" in text.stdout
    assert "Contract" in text.stdout
    assert data["report_uri"].endswith(".html")


def test_ack_acknowledges_latest_recommendation(
    zebra, ctx, prod_project, telco_frame, tmp_path
):
    changed = telco_frame.sample(n=600, random_state=3).copy()
    changed["Contract"] = "Two year"
    changed["tenure"] = changed["tenure"] + 40
    changed["MonthlyCharges"] = changed["MonthlyCharges"] + 50
    changed["InternetService"] = "No"
    changed["PaymentMethod"] = "Mailed check"
    changed["TotalCharges"] = changed["TotalCharges"] * 3
    path = write_csv(changed, tmp_path / "c.csv")
    result = monitor(ctx, "churn", str(path))
    assert result.recommendation is True
    out = zebra(
        "--project", prod_project["root"], "monitor", "churn", "--ack", "--json"
    )
    ack = json.loads(out.stdout)
    assert ack["id"] == result.id and ack["already"] is False
    with ctx.store.begin() as conn:
        row = conn.execute(
            sa.select(tables.monitor_results).where(
                tables.monitor_results.c.id == result.id
            )
        ).one()
    assert row.acked_at and row.acked_by
    again = json.loads(
        zebra(
            "--project", prod_project["root"], "monitor", "churn", "--ack", "--json"
        ).stdout
    )
    assert again["already"] is True


def test_tiny_batch_gives_no_verdict(zebra, ctx, prod_project, telco_frame, tmp_path):
    path = write_csv(telco_frame.head(7), tmp_path / "tiny.csv")
    out = zebra(
        "--project", prod_project["root"], "monitor", "churn", "--current", path
    )
    assert "no drift verdict" in out.stderr + out.stdout
    result = monitor(ctx, "churn", str(path))
    assert result.details["status"] == "no-verdict"
    assert result.recommendation is False
    assert all(c.status == "skipped" for c in result.columns)
    assert "min_rows" in result.details["warnings"][0]


def test_unknown_model_and_missing_file_are_clean_errors(zebra, prod_project):
    out = zebra("--project", prod_project["root"], "monitor", "nope", ok=False)
    assert out.exit_code == 1 and "no model 'nope'" in out.stderr
    assert "Traceback" not in out.stderr
    out = zebra(
        "--project",
        prod_project["root"],
        "monitor",
        "churn",
        "--current",
        "/nonexistent/x.csv",
        ok=False,
    )
    assert out.exit_code != 0 and "x.csv" in out.stderr
