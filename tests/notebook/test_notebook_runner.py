"""The notebook runner: the parameters-cell check and the executor job."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.training.conftest import notebook
from zebraops_core.errors import ConfigError
from zebraops_core.plugins import get_implementation
from zebraops_core.specs import ModelSpec
from zebraops_core.specs.model import Hyperparams, NotebookOptions


def _spec(**kw) -> ModelSpec:
    return ModelSpec(
        name="nb",
        type="notebook",
        entrypoint="train.ipynb",
        datasets={"train": "d:train", "valid": "d:valid"},
        hyperparams=Hyperparams(defaults={"C": 1.0, "max_iter": 9}),
        **kw,
    )


def test_refuses_untagged_notebook_naming_the_lost_parameters(tmp_path):
    (tmp_path / "train.ipynb").write_text(
        notebook(
            [
                ("a", [], "C = 2.0\noutput_dir: str = 'here'\n"),
                ("b", [], "%matplotlib inline\nprint(C)\n"),
            ]
        )
    )
    runner = get_implementation("runner", "notebook")()
    with pytest.raises(ConfigError) as info:
        runner.check(_spec(), tmp_path)
    message = str(info.value)
    assert "notebook train.ipynb of model 'nb' has no cell tagged 'parameters'" in (
        message
    )
    assert "would overwrite the injected parameters output_dir, C" in message
    assert "--allow-untagged-notebook" in info.value.hint
    # Opting in through model.yaml.
    runner.check(
        _spec(notebook=NotebookOptions(allow_untagged_parameters=True)), tmp_path
    )


def test_tagged_notebook_passes_the_check(tmp_path):
    (tmp_path / "train.ipynb").write_text(
        notebook([("p", ["parameters"], "C = 2.0\n")])
    )
    runner = get_implementation("runner", "notebook")()
    assert runner.check(_spec(), tmp_path) is None  # raises when refused


def test_executor_names_the_failing_cell(tmp_path):
    (tmp_path / "train.ipynb").write_text(
        notebook(
            [
                ("p", ["parameters"], "C = 2.0\n"),
                ("ok", [], "x = C * 2\n"),
                ("boom", [], "\nraise ValueError(f'bad {x}')\n"),
            ]
        )
    )
    (tmp_path / "params.json").write_text(json.dumps({"C": 3}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zebraops_notebook.execute",
            str(tmp_path / "train.ipynb"),
            str(tmp_path / "out" / "done.ipynb"),
            "--parameters",
            str(tmp_path / "params.json"),
            "--cwd",
            str(tmp_path),
            "--error-file",
            str(tmp_path / "error.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    error = json.loads((tmp_path / "error.json").read_text())
    assert error["cell"] == "cell 3 (id 'boom', starts 'raise ValueError(f'bad {x}')')"
    assert error["ename"] == "ValueError" and error["evalue"] == "bad 6"
    assert "cell 3 (id 'boom'" in proc.stderr
    executed = json.loads((tmp_path / "out" / "done.ipynb").read_text())
    assert any(
        "injected-parameters" in c["metadata"].get("tags", [])
        for c in executed["cells"]
    )
