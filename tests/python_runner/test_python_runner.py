"""The python runner's contract and the optional script helpers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from zebraops_core.errors import ConfigError
from zebraops_core.interfaces import RunContext
from zebraops_core.plugins import get_implementation
from zebraops_core.specs import Manifest, ModelSpec
from zebraops_core.specs.loader import structure
from zebraops_core.training.contract import write_config


def _manifest(tmp_path: Path) -> Manifest:
    raw = {
        "id": "telco_churn-0123456789ab",
        "dataset_id": "telco_churn",
        "created_at": "2026-12-03T00:00:00+00:00",
        "source": {"uri": "data/telco.csv", "connector": "file"},
        "schema": {
            "key": "customerID",
            "target": {"column": "Churn", "mapping": {"Yes": 1, "No": 0}},
        },
        "splits": {
            s: {
                "rows": 2,
                "uri": str(tmp_path / f"{s}.parquet"),
                "sha256": "0" * 64,
                "size_bytes": 10,
            }
            for s in ("train", "valid", "test")
        },
    }
    return structure(raw, Manifest, display="manifest")


def _context(tmp_path: Path, **spec_fields) -> RunContext:
    spec = ModelSpec(
        name="churn",
        entrypoint="train.py",
        datasets={"train": "telco_churn:train", "valid": "telco_churn:valid"},
        **spec_fields,
    )
    manifest = _manifest(tmp_path)
    work = tmp_path / ".zebraops" / "runs" / "r1"
    return RunContext(
        model=spec,
        model_dir=tmp_path / "models" / "churn",
        project_dir=tmp_path,
        run_id="run123",
        experiment_name="churn",
        tracking_uri="sqlite:///x.db",
        config_path=work / "config.json",
        output_dir=work / "outputs",
        manifests={"train": manifest, "valid": manifest},
        params={"C": 0.5, "class_weight": None},
        profile="local",
    )


def test_job_follows_the_contract(tmp_path):
    runner = get_implementation("runner", "python")()
    context = _context(tmp_path)
    job = runner.prepare(context)
    assert job.argv == (
        sys.executable,
        "models/churn/train.py",
        "--config",
        str(context.config_path),
    )
    assert job.cwd == tmp_path
    assert job.env == {
        "ZEBRA_MODEL_NAME": "churn",
        "ZEBRA_RUN_ID": "run123",
        "ZEBRA_OUTPUT_DIR": str(context.output_dir),
        "ZEBRA_CONFIG": str(context.config_path),
        "ZEBRA_PROFILE": "local",
        "ZEBRA_DATASET_TRAIN_URI": str(tmp_path / "train.parquet"),
        "ZEBRA_DATASET_VALID_URI": str(tmp_path / "valid.parquet"),
        "MLFLOW_TRACKING_URI": "sqlite:///x.db",
        "MLFLOW_EXPERIMENT_NAME": "churn",
        "MLFLOW_RUN_ID": "run123",
    }
    write_config(context)
    config = json.loads(context.config_path.read_text())
    assert config["datasets"] == {
        "train": str(tmp_path / "train.parquet"),
        "valid": str(tmp_path / "valid.parquet"),
    }
    assert config["hyperparams"] == {"C": 0.5, "class_weight": None}
    assert config["target"] == "Churn" and config["key"] == "customerID"
    assert config["manifests"]["train"] == "telco_churn-0123456789ab"
    assert config["mlflow"]["run_id"] == "run123"


def test_missing_entrypoint(tmp_path):
    runner = get_implementation("runner", "python")()
    spec = ModelSpec(name="churn", entrypoint="nope.py", datasets={})
    with pytest.raises(ConfigError, match="entrypoint nope.py of model 'churn'"):
        runner.check(spec, tmp_path)


def test_script_helpers_read_config_and_datasets(tmp_path, monkeypatch):
    from zebraops_core import script

    context = _context(tmp_path)
    frame = pd.DataFrame(
        {"customerID": ["a", "b"], "tenure": [1, 2], "Churn": ["Yes", "No"]}
    )
    for split in ("train", "valid"):
        frame.to_parquet(tmp_path / f"{split}.parquet")
    write_config(context)
    monkeypatch.setattr(sys, "argv", ["train.py", "--config", str(context.config_path)])
    config = script.load_config()
    frames = script.read_datasets(config)
    x, y = script.features_and_target(frames["train"], config)
    assert list(x.columns) == ["tenure"]
    assert y.tolist() == [1, 0]
    assert script.output_dir(config) == context.output_dir
    assert context.output_dir.is_dir()
    reqs = script.pip_requirements()
    assert any(r.startswith("scikit-learn==") for r in reqs)
    assert any(r.startswith("skops==") for r in reqs)

    # Without a config file: the environment of the contract.
    monkeypatch.setattr(sys, "argv", ["train.py"])
    monkeypatch.delenv("ZEBRA_CONFIG", raising=False)
    monkeypatch.setenv("ZEBRA_DATASET_TRAIN_URI", "t.parquet")
    monkeypatch.setenv("ZEBRA_OUTPUT_DIR", "out")
    assert script.load_config()["datasets"] == {"train": "t.parquet"}


def test_log_model_logs_signature_example_and_requirements(tmp_path):
    import mlflow
    from sklearn.linear_model import LogisticRegression

    from zebraops_core import script

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("helper")
    x = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = LogisticRegression().fit(x, [0, 0, 1, 1])
    with mlflow.start_run():
        info = script.log_model(model, x.head(2))
    assert info.signature is not None
    assert info.saved_input_example_info is not None
    import mlflow.pyfunc

    reqs = Path(mlflow.pyfunc.get_model_dependencies(info.model_uri)).read_text()
    assert "scikit-learn==" in reqs
