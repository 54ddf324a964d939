"""``zebra eval`` on runs logged to real MLflow (SQLite and server)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import completed_flows
from tests.promotion.trainkit import MODEL

pytestmark = pytest.mark.slow


def _client(world):
    from zebraops_core import tracking
    from zebraops_core.context import Context

    return tracking.client(Context(project_dir=world.root).settings)


def test_eval_logs_metrics_tags_and_reports(world, zebra, tmp_path):
    run_id = world.run("good")
    out = json.loads(zebra("eval", MODEL, "--run", run_id, "--json").stdout)
    assert set(out["splits"]) == {"valid", "test"}
    assert out["sources"] == {"valid": world.manifest.id, "test": world.manifest.id}
    assert out["metrics"]["roc_auc"] > 0.8
    assert out["model_version"] == world.version("good")

    client = _client(world)
    run = client.get_run(run_id)
    assert run.data.metrics["eval.roc_auc"] == pytest.approx(out["metrics"]["roc_auc"])
    assert "eval.test.roc_auc" in run.data.metrics
    assert run.data.tags["zebra.eval.valid"] == world.manifest.id
    names = {a.path for a in client.list_artifacts(run_id, "eval")}
    assert names == {"eval/report.json", "eval/report.html", "eval/predictions.parquet"}

    folder = client.download_artifacts(run_id, "eval", str(tmp_path))
    report = json.loads((tmp_path / "eval" / "report.json").read_text())
    valid = report["splits"]["valid"]
    assert valid["rows"] == world.manifest.splits["valid"].rows
    assert valid["metrics"]["roc_auc"] == pytest.approx(out["metrics"]["roc_auc"])
    assert valid["classification"]["confusion_matrix"]["labels"] == ["0", "1"]
    assert {r["value"] for r in valid["segments"]["Contract"]["rows"]} == {
        "Month-to-month",
        "One year",
        "Two year",
    }
    page = (tmp_path / "eval" / "report.html").read_text()
    assert page.count("<svg") == 8  # four plots for each of valid and test
    assert "By Contract" in page and "By tenure" in page
    assert folder


def test_eval_prints_a_table(sqlite_only, zebra):
    result = zebra("eval", MODEL, "--run", sqlite_only.run("good2"))
    assert "roc_auc *" in result.stdout and "valid" in result.stdout
    assert "report.html" in result.stdout


def test_eval_on_another_file_is_tagged_and_fails_lineage(sqlite_only, zebra, tmp_path):
    import pandas as pd

    world = sqlite_only
    run_id = world.run("weak")
    sample = pd.read_parquet(world.manifest.splits["test"].uri).head(300)
    path = tmp_path / "other.parquet"
    sample.to_parquet(path)
    out = json.loads(
        zebra("eval", MODEL, "--run", run_id, "--dataset", str(path), "--json").stdout
    )
    assert out["sources"] == {"valid": f"file:{path}"}
    run = _client(world).get_run(run_id)
    assert run.data.tags["zebra.eval.valid"] == f"file:{path}"
    assert "zebra.eval.test" not in run.data.tags

    result = zebra(
        "promote", MODEL, "--run", run_id, "--to", "staging", "--json", ok=False
    )
    lineage = next(
        v for v in json.loads(result.stdout)["verdicts"] if v["gate"] == "lineage"
    )
    assert not lineage["passed"] and "file" in lineage["reason"]

    # Back on its own manifests, lineage holds again.
    zebra("eval", MODEL, "--run", run_id, "--json")
    assert _client(world).get_run(run_id).data.tags["zebra.eval.valid"] == (
        world.manifest.id
    )


def test_eval_refuses_unknown_runs_and_other_models_runs(sqlite_only, zebra):
    result = zebra("eval", MODEL, "--run", "f" * 32, ok=False)
    assert result.exit_code == 1 and "no MLflow run" in result.stderr
    missing = zebra("eval", "nope", "--run", sqlite_only.run("good"), ok=False)
    assert missing.exit_code == 1 and "no model 'nope'" in missing.stderr


def test_eval_flow_runs_under_a_prefect_server(
    sqlite_only, prefect_server, monkeypatch
):
    from zebraops_core.context import Context
    from zebraops_core.evaluation import evaluate

    monkeypatch.setenv("ZEBRA_PREFECT_API_URL", prefect_server)
    # The flow runner exports PREFECT_API_URL; monkeypatch restores it after.
    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    ctx = Context(project_dir=sqlite_only.root)
    result = evaluate(ctx, MODEL, sqlite_only.run("good"))
    assert result.metrics["roc_auc"] > 0.8

    done = completed_flows(prefect_server)
    assert "eval" in done
