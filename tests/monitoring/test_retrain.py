"""zebra retrain on the example project with the real Telco data: the real
ingest, train, eval and promote of the other areas, through the gates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from zebraops_core import tracking
from zebraops_core.context import Context

from .conftest import read_telco, write_csv

pytestmark = pytest.mark.slow


def _prod_version(ctx: Context) -> str:
    client = tracking.client(ctx.settings)
    return str(client.get_model_version_by_alias("churn", "prod").version)


@pytest.fixture
def churn_in_prod(churn_project: Path, telco_csv: Path) -> Context:
    from zebraops_core.datasets import ingest
    from zebraops_core.evaluation import evaluate
    from zebraops_core.promotion import promote
    from zebraops_core.training import train

    ctx = Context(project_dir=churn_project)
    ingest(ctx, "telco_churn", source=str(telco_csv))
    outcome = train(ctx, "churn", echo=False)
    evaluate(ctx, "churn", outcome.run_id)
    done = promote(ctx, "churn", outcome.run_id, "prod")
    assert done.promoted, done.message
    return ctx


def _drifted(telco_csv: Path, path: Path) -> Path:
    frame = read_telco(telco_csv).sample(n=1500, random_state=4)
    frame["Contract"] = "Month-to-month"
    frame["tenure"] = frame["tenure"] + 30
    frame["MonthlyCharges"] = frame["MonthlyCharges"] * 1.6
    frame["TotalCharges"] = frame["TotalCharges"] * 2
    frame["PaymentMethod"] = "Electronic check"
    frame["InternetService"] = "Fiber optic"
    return write_csv(frame, path)


def test_retrain_when_recommended_then_gate_failure_keeps_prod(
    zebra, churn_in_prod, churn_project, telco_csv, tmp_path
):
    ctx = churn_in_prod
    before = _prod_version(ctx)
    drifted = _drifted(telco_csv, tmp_path / "drifted.csv")

    # Not recommended: a sample of the training data itself
    same = write_csv(
        read_telco(telco_csv).sample(n=1500, random_state=8), tmp_path / "same.csv"
    )
    out = zebra("retrain", "churn", "--current", same, "--json")
    record = json.loads(out.stdout)
    assert record["status"] == "not-needed"
    assert [s["step"] for s in record["steps"]] == ["monitor"]

    # Recommended: every step runs and the new version reaches prod
    out = zebra("retrain", "churn", "--current", drifted, "--source", telco_csv)
    for step in ("monitor", "ingest", "train", "eval", "promote"):
        assert re.search(rf"✓ {step}\b", out.stderr), out.stderr
    assert "churn: promoted" in out.stdout
    after = _prod_version(ctx)
    assert int(after) > int(before)
    record_path = next(
        (churn_project / "cached_data" / "retrains" / "churn").glob("*.json")
    )
    assert json.loads(record_path.read_text())["steps"]

    # An impossible threshold: the gate refuses, prod stays where it was
    model_yaml = churn_project / "models" / "churn" / "model.yaml"
    model_yaml.write_text(
        model_yaml.read_text().replace("threshold: 0.8", "threshold: 0.999")
    )
    out = zebra(
        "retrain",
        "churn",
        "--force",
        "--current",
        drifted,
        "--source",
        telco_csv,
        ok=False,
    )
    assert out.exit_code == 1
    assert "✗ promote" in out.stderr and "prod is unchanged" in out.stderr
    assert _prod_version(ctx) == after
    runs = tracking.client(ctx.settings).search_runs(
        [tracking.ensure_experiment(ctx.settings, "churn")],
        "tags.`zebra.kind` = 'retrain'",
    )
    statuses = {r.data.tags["zebra.retrain.status"] for r in runs}
    assert statuses == {"not-needed", "promoted", "gate-failed"}


def test_schedule_without_prefect_names_the_variable(zebra, churn_project):
    out = zebra("schedule", "retrain", "churn", "--cron", "0 3 * * *", ok=False)
    assert out.exit_code == 2
    assert "PREFECT_API_URL" in out.stderr
    assert "Traceback" not in out.stderr


def test_schedule_creates_a_prefect_deployment(
    zebra, churn_project, prefect_server, monkeypatch
):
    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    out = zebra("schedule", "retrain", "churn", "--cron", "0 3 * * *", "--json")
    created = json.loads(out.stdout)
    assert created["deployment"] == "zebra-retrain/retrain-churn"

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Prefect reads its environment once per process: name the server.
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_server}),
        get_client(sync_client=True) as client,
    ):
        deployment = client.read_deployment_by_name("zebra-retrain/retrain-churn")
        schedules = [s.schedule.cron for s in deployment.schedules]
    assert str(deployment.id) == created["id"]
    assert schedules == ["0 3 * * *"]
    assert deployment.parameters["model_name"] == "churn"
    assert deployment.entrypoint == (
        "zebraops_core.monitoring.schedule.scheduled_retrain"
    )
    bad = zebra("schedule", "retrain", "churn", "--cron", "not a cron", ok=False)
    assert bad.exit_code == 2 and "invalid schedule" in bad.stderr
