"""`zebra train` on the real Telco data: python and notebook runners, grid,
lineage tags, registration, `zebra list runs`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zebraops_core import tracking

pytestmark = pytest.mark.slow

LINEAGE = (
    tracking.TAG_MODEL,
    tracking.TAG_SPEC_HASH,
    tracking.TAG_GIT_COMMIT,
    tracking.TAG_GIT_DIRTY,
    tracking.TAG_ENV_DIGEST,
    tracking.TAG_PROFILE,
    tracking.TAG_RUNNER,
    "zebra.dataset.train",
    "zebra.dataset.valid",
    "zebra.dataset.test",
)


def _artifacts(client, run_id: str, path: str | None = None) -> set[str]:
    out = set()
    for item in client.list_artifacts(run_id, path):
        out |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def _manifest_id(project) -> str:
    [path] = (project / "cached_data" / "manifests").glob("telco_churn-*.json")
    return path.stem


def test_python_runner_trains_registers_and_tags(zp, project, mlflow_client):
    result = zp("train", "churn", "--json")
    out = json.loads(result.stdout)
    [run] = out["runs"]
    assert out["model_version"] == run["model_version"] is not None
    # The job's output reached the terminal (stderr) as it ran.
    assert "train rows:" in result.stderr

    mlrun = mlflow_client.get_run(run["run_id"])
    tags = mlrun.data.tags
    manifest = _manifest_id(project)
    assert mlrun.info.status == "FINISHED"
    assert {t: tags.get(t) for t in LINEAGE} == {
        tracking.TAG_MODEL: "churn",
        tracking.TAG_SPEC_HASH: tags[tracking.TAG_SPEC_HASH],
        tracking.TAG_GIT_COMMIT: "none",  # the copy is not a git work tree
        tracking.TAG_GIT_DIRTY: "none",
        tracking.TAG_ENV_DIGEST: tags[tracking.TAG_ENV_DIGEST],
        tracking.TAG_PROFILE: "local",
        tracking.TAG_RUNNER: "python",
        "zebra.dataset.train": manifest,
        "zebra.dataset.valid": manifest,
        "zebra.dataset.test": manifest,
    }
    assert len(tags[tracking.TAG_SPEC_HASH]) == 16
    assert tags[tracking.TAG_ENV_DIGEST].startswith("sha256:")
    assert mlrun.data.params["C"] == "1.0"
    assert mlrun.data.params["class_weight"] == "None"
    auc = mlrun.data.metrics["roc_auc"]
    print(f"\nvalidation ROC AUC on the real Telco data (python runner): {auc:.4f}")
    assert 0.8 < auc < 0.95
    assert {"f1", "accuracy"} <= set(mlrun.data.metrics)

    artifacts = _artifacts(mlflow_client, run["run_id"])
    assert {"outputs/metrics.json", "logs/train.log", "zebra/config.json"} <= artifacts
    log_text = mlflow_client.download_artifacts(run["run_id"], "logs/train.log")
    assert "train rows:" in Path(log_text).read_text()
    config = json.loads(
        Path(
            mlflow_client.download_artifacts(run["run_id"], "zebra/config.json")
        ).read_text()
    )
    assert config["run_id"] == run["run_id"]
    assert config["datasets"]["valid"].endswith("valid.parquet")

    # The registered version carries the same lineage.
    version = mlflow_client.get_model_version("churn", run["model_version"])
    assert version.run_id == run["run_id"]
    assert {t: version.tags.get(t) for t in LINEAGE} == {t: tags[t] for t in LINEAGE}

    # The model accepts raw Telco columns (preprocessing inside it).
    import mlflow.pyfunc
    import pandas as pd

    mlflow.set_tracking_uri(f"sqlite:///{project / '.zebraops' / 'mlflow.db'}")
    model = mlflow.pyfunc.load_model(f"models:/churn/{run['model_version']}")
    raw = pd.read_parquet(config["datasets"]["valid"]).drop(columns=["Churn"]).head(3)
    assert len(model.predict(raw)) == 3

    listed = json.loads(zp("list", "runs", "--model", "churn", "--json").stdout)
    row = next(r for r in listed if r["run_id"] == run["run_id"])
    assert row["status"] == "FINISHED"
    assert row["primary_metric"] == "roc_auc" and row["value"] == pytest.approx(auc)
    assert row["manifests"] == {"train": manifest, "valid": manifest, "test": manifest}
    assert row["created"]


def test_notebook_runner_trains_and_stores_the_executed_notebook(zp, mlflow_client):
    out = json.loads(
        zp("train", "churn", "--entrypoint", "train.ipynb", "--json", "-q").stdout
    )
    [run] = out["runs"]
    mlrun = mlflow_client.get_run(run["run_id"])
    assert mlrun.info.status == "FINISHED"
    assert mlrun.data.tags[tracking.TAG_RUNNER] == "notebook"
    auc = mlrun.data.metrics["roc_auc"]
    print(f"\nvalidation ROC AUC on the real Telco data (notebook runner): {auc:.4f}")
    assert 0.8 < auc < 0.95
    artifacts = _artifacts(mlflow_client, run["run_id"])
    assert "outputs/train.executed.ipynb" in artifacts
    executed = json.loads(
        Path(
            mlflow_client.download_artifacts(
                run["run_id"], "outputs/train.executed.ipynb"
            )
        ).read_text()
    )
    injected = [
        c
        for c in executed["cells"]
        if "injected-parameters" in c["metadata"].get("tags", [])
    ]
    assert injected and run["run_id"] in "".join(injected[0]["source"])
    version = mlflow_client.get_model_version("churn", run["model_version"])
    assert version.tags[tracking.TAG_RUNNER] == "notebook"


def test_grid_runs_children_in_parallel_and_registers_only_the_best(zp, mlflow_client):
    before = {
        str(v.version) for v in mlflow_client.search_model_versions("name='quick'")
    }
    result = zp("train", "quick", "--grid", "--max-parallel", "2", "--json", "-q")
    out = json.loads(result.stdout)
    scores = [r["metrics"]["score"] for r in out["runs"]]
    assert scores == [3.0, 2.0, 1.0]  # sorted by the primary metric
    best = out["runs"][0]
    assert out["best_run_id"] == best["run_id"] and best["model_version"]
    assert [r["model_version"] for r in out["runs"][1:]] == [None, None]
    after = {
        str(v.version) for v in mlflow_client.search_model_versions("name='quick'")
    }
    assert after - before == {best["model_version"]}

    parent = mlflow_client.get_run(out["parent_run_id"])
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["zebra.best_run"] == best["run_id"]
    assert parent.data.metrics["score"] == 3.0
    for r in out["runs"]:
        child = mlflow_client.get_run(r["run_id"])
        assert child.data.tags["mlflow.parentRunId"] == out["parent_run_id"]
        assert child.info.status == "FINISHED"
    # An MLflow model folder written to the output dir is the run's model.
    assert "model/MLmodel" in _artifacts(mlflow_client, best["run_id"])
    assert "outputs/note.txt" in _artifacts(mlflow_client, best["run_id"])

    # The parent is not a model run: eval and list say which run is.
    wrong = zp("eval", "quick", "--run", out["parent_run_id"], ok=False)
    assert wrong.exit_code == 2
    assert "is the parent run of a grid" in wrong.stderr
    assert f"--run {best['run_id']}" in wrong.stderr
    listed = zp("list", "runs", "--model", "quick").stdout
    assert f"(grid; best: {best['run_id'][:8]})" in listed

    table = zp("train", "quick", "--grid", "--params", "C=[5, 4]").stdout
    lines = [ln for ln in table.splitlines() if "│" in ln]
    assert "*" in lines[0] and "│ 5 │" in lines[0]  # best first, marked
    assert "*" not in lines[1]


def test_train_ingests_a_dataset_that_has_no_manifest_yet(
    project, zp, mlflow_client, telco_csv
):
    from tests.training.conftest import QUICK, add_model, data_roles

    definition = (project / "data_sources" / "telco_churn.yaml").read_text()
    (project / "data_sources" / "telco_fresh.yaml").write_text(
        definition.replace("path: data/telco_churn.csv", f"path: {telco_csv}")
    )
    add_model(
        project,
        "fresh",
        {"train.py": QUICK},
        f"name: fresh\nentrypoint: train.py\n{data_roles('telco_fresh')}"
        "hyperparams: {defaults: {C: 1}}\n",
    )
    assert not list((project / "cached_data" / "manifests").glob("telco_fresh-*"))
    out = json.loads(zp("train", "fresh", "--json", "-q").stdout)
    [manifest] = (project / "cached_data" / "manifests").glob("telco_fresh-*.json")
    tags = mlflow_client.get_run(out["best_run_id"]).data.tags
    assert tags["zebra.dataset.train"] == manifest.stem


@pytest.mark.parametrize(
    ("grid", "max_parallel", "started"),
    [(None, None, 1), ({}, 2, 2), ({}, 8, 3), ({"C": 7}, 8, 1)],
)
def test_plan_starts_one_interpreter_per_slot_of_the_first_wave(
    project, grid, max_parallel, started
):
    """A grid's first wave of jobs (at most one per point) starts while the
    plan resolves; a single run starts one."""
    from zebraops_core.context import Context
    from zebraops_core.training.flow import build_plan

    plan = build_plan(
        Context(project_dir=project),
        "quick",
        no_ingest=True,
        manifest_ids=None,
        entrypoint=None,
        allow_untagged_notebook=False,
        echo=False,
        grid_overrides=grid,
        max_parallel=max_parallel,
    )
    try:
        assert len(plan.reserved) == started
        assert len(plan.adapter._warm) == started
    finally:
        plan.adapter.discard_warm()
