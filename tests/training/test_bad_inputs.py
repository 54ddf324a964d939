"""Each bad input: a clear error, the run FAILED when one exists, nothing
registered."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _runs(client, model: str):
    exp = client.get_experiment_by_name(model)
    return client.search_runs([exp.experiment_id]) if exp else []


def _versions(client, model: str):
    return client.search_model_versions(f"name='{model}'")


def test_script_exiting_3_fails_the_run_with_stderr_tail(zp, mlflow_client):
    result = zp("train", "exits3", ok=False)
    assert result.exit_code == 1
    assert "exited with code 3" in result.stderr
    # Shown once, as the job printed it, then where the whole log is.
    assert result.stderr.count("boom: the detail a user needs") == 1
    assert "logs/train.log" in result.stderr and "marked FAILED" in result.stderr
    assert "Traceback" not in result.stderr
    [run] = _runs(mlflow_client, "exits3")
    assert run.info.status == "FAILED"
    assert "boom: the detail a user needs" in run.data.tags["zebra.error"]
    error = mlflow_client.download_artifacts(run.info.run_id, "logs/error.txt")
    assert "exited with code 3" in Path(error).read_text()
    train_log = mlflow_client.download_artifacts(run.info.run_id, "logs/train.log")
    assert "about to fail" in Path(train_log).read_text()
    assert _versions(mlflow_client, "exits3") == []


def test_quiet_failure_shows_the_stderr_tail_in_the_error(zp):
    result = zp("train", "exits3", "-q", ok=False)
    assert result.exit_code == 1
    assert "about to fail" not in result.stderr  # stdout was not echoed
    error = result.stderr[result.stderr.index("exited with code 3") :]
    assert "boom: the detail a user needs" in error


def test_undeclared_param_warns_with_a_suggestion(zp):
    result = zp("train", "quick", "--params", "CC=2", "-q")
    said = " ".join(result.stderr.split())  # rich wraps long log lines
    assert (
        "--params CC: model.yaml declares no such hyperparameter; "
        "did you mean 'C'?" in said
    )


def test_script_logging_no_model_fails_the_run(zp, mlflow_client):
    result = zp("train", "nomodel", ok=False)
    assert result.exit_code == 1
    assert "logged no model" in result.stderr
    assert "log_model" in result.stderr  # the hint says how
    [run] = _runs(mlflow_client, "nomodel")
    assert run.info.status == "FAILED"
    assert _versions(mlflow_client, "nomodel") == []


def test_missing_entrypoint_is_a_config_error_before_any_run(zp, mlflow_client):
    result = zp("train", "ghost", ok=False)
    assert result.exit_code == 2
    assert "entrypoint missing.py of model 'ghost' not found" in result.stderr
    assert _runs(mlflow_client, "ghost") == []


def test_notebook_without_parameters_cell_is_refused(zp, mlflow_client):
    before = len(_runs(mlflow_client, "untagged"))
    result = zp("train", "untagged", ok=False)
    assert result.exit_code == 2
    assert "train.ipynb" in result.stderr and "'parameters'" in result.stderr
    # The parameters the notebook's own assignments would overwrite.
    assert "train_uri, C" in result.stderr
    assert "--allow-untagged-notebook" in result.stderr
    assert len(_runs(mlflow_client, "untagged")) == before


def test_failing_notebook_cell_fails_the_run_and_names_the_cell(zp, mlflow_client):
    result = zp("train", "failing", ok=False)
    assert result.exit_code == 1
    assert "cell 2 (id 'divide', starts 'ratio = C / 0')" in result.stderr
    assert "ZeroDivisionError" in result.stderr
    [run] = _runs(mlflow_client, "failing")
    assert run.info.status == "FAILED"
    assert "cell 2" in run.data.tags["zebra.error"]
    artifacts = {
        a.path for a in mlflow_client.list_artifacts(run.info.run_id, "outputs")
    }
    assert "outputs/train.executed.ipynb" in artifacts
    assert _versions(mlflow_client, "failing") == []


def test_unknown_profile(zp):
    result = zp("train", "churn", "--profile", "nope", ok=False)
    assert result.exit_code == 2
    assert "unknown profile 'nope'" in result.stderr


def test_dataset_without_definition(zp, mlflow_client):
    result = zp("train", "nodata", ok=False)
    assert result.exit_code == 1
    assert "no dataset definition 'no_such_dataset'" in result.stderr
    assert _runs(mlflow_client, "nodata") == []


def test_compute_adapter_not_installed_names_the_distribution(zp):
    result = zp("train", "churn", "--profile", "remote", ok=False)
    assert result.exit_code == 2
    assert "no compute adapter named 'vast'" in result.stderr
    assert "pip install zebraops-vast" in result.stderr


def test_no_ingest_without_manifest(zp, mlflow_client):
    result = zp("train", "other", "--no-ingest", ok=False)
    assert result.exit_code == 2
    assert "telco_other" in result.stderr and "--no-ingest" in result.stderr
    assert "zebra ingest telco_other" in result.stderr
    assert _runs(mlflow_client, "other") == []


def test_bad_params_syntax(zp):
    result = zp("train", "churn", "--params", "C", ok=False)
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.stderr


def test_untagged_notebook_runs_when_the_user_opts_in(zp, mlflow_client):
    result = zp("train", "untagged", "--allow-untagged-notebook", ok=False)
    # It ran (past the check): the notebook logs no model, so the run fails.
    assert "logged no model" in result.stderr
    run = _runs(mlflow_client, "untagged")[0]  # newest first
    assert run.info.status == "FAILED"
