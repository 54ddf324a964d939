"""`zebra init`, `zebra new model`, `zebra list models`, `zebra show model`
and `zebra reset`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zebraops_core.specs import load_model_spec

PROFILES = {"local", "shared", "vast", "sagemaker", "vertex"}


def test_init_blank_scaffolds_the_project_shape(zebra, tmp_path: Path):
    dest = tmp_path / "demo"
    result = zebra("init", str(dest), "--example", "blank")
    assert "ZebraOps project ready" in result.stderr
    for folder in ("models", "data_sources", "cached_data", ".zebraops", "profiles"):
        assert (dest / folder).is_dir(), folder
    assert {p.stem for p in (dest / "profiles").glob("*.yaml")} == PROFILES
    ignored = (dest / ".gitignore").read_text().splitlines()
    assert ".zebraops/" in ignored and "cached_data/" in ignored and ".env" in ignored
    assert "ZEBRA_STATE_URL" in (dest / ".env.example").read_text()
    shared = (dest / "profiles" / "shared.yaml").read_text()
    for placeholder in (
        "postgresql://",
        "s3://",
        "tracking_uri: http",
        "prefect_api_url: http",
    ):
        assert placeholder in shared
    assert "name: demo" in (dest / "zebra.yaml").read_text()


def test_every_scaffolded_profile_loads(zebra, blank_project: Path):
    from zebraops_core.project import Project
    from zebraops_core.settings import load_profile

    project = Project.find(blank_project)
    for name in PROFILES:
        profile = load_profile(project, name)
        assert profile.name == name
    assert load_profile(project, "shared").state_url.startswith("postgresql://")


def test_init_refuses_to_overwrite_and_writes_nothing(zebra, tmp_path: Path):
    dest = tmp_path / "demo"
    (dest / "profiles").mkdir(parents=True)
    (dest / "profiles" / "local.yaml").write_text("compute: mine\n")
    result = zebra("init", str(dest), ok=False)
    assert result.exit_code == 2
    assert "refusing to overwrite existing files" in result.stderr
    assert "local.yaml" in result.stderr
    assert not (dest / "zebra.yaml").exists()
    assert (dest / "profiles" / "local.yaml").read_text() == "compute: mine\n"


def test_init_twice_is_refused(zebra, blank_project: Path):
    result = zebra("init", str(blank_project), ok=False)
    assert result.exit_code == 2
    assert "is a ZebraOps project already" in result.stderr


def test_init_tabular_churn_copies_the_example(zebra, tmp_path: Path):
    from zebraops_core.templates import example_dir

    source = example_dir("tabular-churn")
    dest = tmp_path / "churn"
    zebra("init", str(dest), "--example", "tabular-churn")
    expected = {
        p.relative_to(source)
        for p in source.rglob("*")
        if p.is_file()
        and not {"data", "__pycache__", ".zebraops", "cached_data"}
        & set(p.relative_to(source).parts)
    }
    copied = {p.relative_to(dest) for p in dest.rglob("*") if p.is_file()}
    assert expected <= copied
    assert Path("models/churn/model.yaml") in copied
    assert {p.stem for p in (dest / "profiles").glob("*.yaml")} == PROFILES
    assert ".zebraops/" in (dest / ".gitignore").read_text().splitlines()
    assert not (dest / "data").exists()


@pytest.mark.parametrize(
    "kind,entry", [("python", "train.py"), ("notebook", "train.ipynb")]
)
def test_new_model_adds_a_valid_skeleton(zebra, blank_project, kind, entry):
    (blank_project / "data_sources" / "telco.yaml").write_text(
        "connector: file\npath: data/telco.csv\n"
        "schema:\n  columns:\n    - name: id\n  key: id\n"
    )
    zebra("new", "model", "m1", "--type", kind)
    folder = blank_project / "models" / "m1"
    spec = load_model_spec(folder / "model.yaml", root=blank_project)
    assert spec.type == kind and spec.entrypoint == entry
    assert spec.datasets == {"train": "telco", "valid": "telco", "test": "telco"}
    assert (folder / entry).is_file()
    if kind == "notebook":
        nb = json.loads((folder / entry).read_text())
        tagged = [
            c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])
        ]
        assert len(tagged) == 1
        assert "config_path" in "".join(tagged[0]["source"])
    else:
        compile((folder / entry).read_text(), entry, "exec")


def test_new_model_refuses_to_overwrite(zebra, blank_project: Path):
    zebra("new", "model", "m1")
    train = blank_project / "models" / "m1" / "train.py"
    train.write_text("# mine\n")
    result = zebra("new", "model", "m1", "--type", "notebook", ok=False)
    assert result.exit_code == 2
    assert "model 'm1' exists already" in result.stderr
    (blank_project / "models" / "m1" / "model.yaml").unlink()
    result = zebra("new", "model", "m1", ok=False)
    assert result.exit_code == 2
    assert "refusing to overwrite" in result.stderr
    assert train.read_text() == "# mine\n"


def test_new_model_rejects_bad_names(zebra, blank_project: Path):
    result = zebra("new", "model", "Bad Name", ok=False)
    assert result.exit_code == 2
    assert "invalid model name 'Bad Name'" in result.stderr


def test_list_and_show_models(zebra, blank_project: Path):
    assert json.loads(zebra("list", "models", "--json").stdout) == []
    zebra("new", "model", "alpha")
    zebra("new", "model", "beta", "--type", "notebook")
    broken = blank_project / "models" / "gamma"
    broken.mkdir()
    (broken / "model.yaml").write_text("name: gamma\n")
    listed = json.loads(zebra("list", "models", "--json").stdout)
    assert [m["name"] for m in listed] == ["alpha", "beta", "gamma"]
    assert listed[1]["type"] == "notebook"
    assert listed[0]["primary_metric"]["name"] == "roc_auc"
    assert listed[2]["ok"] is False
    assert (
        "models/gamma/model.yaml:1: entrypoint: required field is missing"
        in (listed[2]["problems"])
    )
    table = zebra("list", "models").stdout
    assert "alpha" in table and "train.ipynb" in table

    shown = json.loads(zebra("show", "model", "alpha", "--json").stdout)
    assert shown["spec"]["entrypoint"] == "train.py"
    assert len(shown["spec_hash"]) == 16
    # No MLflow database yet: no registry, and MLflow is not needed.
    assert shown["registry"] is None
    assert "none (nothing trained yet)" in zebra("show", "model", "alpha").stdout


def test_reset_asks_then_wipes_local_state(zebra, blank_project: Path):
    state = blank_project / ".zebraops" / "state.db"
    cached = blank_project / "cached_data" / "manifests" / "x.json"
    zebra("doctor", ok=False)  # creates the state DB
    cached.parent.mkdir(parents=True)
    cached.write_text("{}")
    assert state.exists()

    refused = zebra("reset", input="n\n", ok=False)
    assert refused.exit_code == 1
    assert cached.exists() and state.exists()

    zebra("reset", input="y\n")
    assert not cached.exists() and not state.exists()
    assert (blank_project / ".zebraops").is_dir()
    assert (blank_project / "zebra.yaml").exists()

    cached.parent.mkdir(parents=True)
    cached.write_text("{}")
    zebra("reset", "--yes")
    assert not cached.exists()


def test_reset_refuses_remote_profiles(zebra, blank_project: Path, monkeypatch):
    monkeypatch.setenv("ZEBRA_STATE_URL", "postgresql://zebra@db:5432/zebraops")
    result = zebra("reset", "--yes", ok=False)
    assert result.exit_code == 2
    assert "uses remote stores (state_url)" in result.stderr


def test_show_model_lists_registered_versions_and_aliases(zebra, blank_project):
    """With an MLflow store, `show model` adds versions and aliases."""
    from zebraops_core import tracking
    from zebraops_core.context import Context

    zebra("new", "model", "alpha")
    settings = Context(project_dir=blank_project).settings
    client = tracking.client(settings)
    client.create_registered_model("alpha")
    source = (blank_project / ".zebraops" / "model").as_uri()
    for _ in range(2):
        client.create_model_version("alpha", source=source)
    client.set_registered_model_alias("alpha", "prod", "1")
    shown = json.loads(zebra("show", "model", "alpha", "--json").stdout)
    assert shown["registry"]["aliases"] == {"prod": "1"}
    assert [v["version"] for v in shown["registry"]["versions"]] == ["2", "1"]
    assert "prod=v1" in zebra("show", "model", "alpha").stdout
