"""Spec loading: every broken file of the corpus gives its located message,
and `zebra validate` prints the same with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zebraops_core.errors import SpecError
from zebraops_core.specs import load_dataset_definition, load_model_spec
from zebraops_core.specs.validate import collect, detect_kind, validate_file

CORPUS = Path(__file__).parent / "broken_specs"
CASES = sorted(collect(CORPUS))


def test_corpus_is_large_and_covers_every_kind():
    kinds = {detect_kind(p) for p in CASES}
    assert len(CASES) >= 20
    assert kinds == {"model", "dataset", "manifest"}
    assert all(p.with_suffix(".expected").is_file() for p in CASES)


@pytest.mark.parametrize("path", CASES, ids=[str(p.relative_to(CORPUS)) for p in CASES])
def test_broken_spec_gives_located_message(path: Path):
    expected = path.with_suffix(".expected").read_text("utf-8").splitlines()
    report = validate_file(path, root=CORPUS)
    assert list(report.problems) == expected
    for line in report.problems:
        # file:line: ... with the file relative to the root.
        file, line_no, _ = line.split(":", 2)
        assert file == str(path.relative_to(CORPUS))
        assert line_no.isdigit()


def test_issue_example_message():
    path = CORPUS / "models" / "bad-direction" / "model.yaml"
    with pytest.raises(SpecError) as info:
        load_model_spec(path, root=CORPUS)
    assert info.value.problems == [
        "models/bad-direction/model.yaml:13: metrics[0].direction: "
        "expected maximize or minimize, got 'up'"
    ]
    assert info.value.exit_code == 2


def test_every_problem_is_reported_at_once(tmp_path: Path):
    folder = tmp_path / "models" / "many"
    folder.mkdir(parents=True)
    (folder / "model.yaml").write_text(
        "name: many\n"
        "entrypoint: train.py\n"
        "datasets: {train: t, valid: t}\n"
        "type: script\n"
        "metrics:\n"
        "  - name: auc\n"
        "    direction: down\n"
        "notse: typo\n"
    )
    with pytest.raises(SpecError) as info:
        load_model_spec(folder / "model.yaml", root=tmp_path)
    assert info.value.problems == [
        "models/many/model.yaml:4: type: expected python or notebook, got 'script'",
        "models/many/model.yaml:7: metrics[0].direction: expected maximize or "
        "minimize, got 'down'",
        "models/many/model.yaml:8: notse: unknown key 'notse'; did you mean 'notes'?",
    ]


def test_valid_dataset_definition_defaults_id_to_file_name(tmp_path: Path):
    path = tmp_path / "data_sources" / "telco.yaml"
    path.parent.mkdir()
    path.write_text(
        "connector: file\npath: data/telco.csv\n"
        "schema:\n  columns:\n    - name: id\n    - name: y\n      dtype: int\n"
        "  key: id\n  target: {column: y}\n"
    )
    definition = load_dataset_definition(path, root=tmp_path)
    assert definition.id == "telco"
    assert definition.splits.method == "hash"
    assert definition.schema.target.column == "y"


def test_structure_hooks_stay_strict_after_other_kinds_loaded():
    """Loading a manifest first must not replace the mapping check (cattrs'
    own mapping hook registers itself when asked to generate one)."""
    manifest = CORPUS / "manifests" / "bad-types.json"
    model = CORPUS / "models" / "datasets-list" / "model.yaml"
    validate_file(manifest, root=CORPUS)
    report = validate_file(model, root=CORPUS)
    assert report.problems == (
        "models/datasets-list/model.yaml:3: datasets: expected a mapping, got a list",
    )


# -- zebra validate --------------------------------------------------------


def test_validate_cli_broken_file_exits_2(zebra, tmp_path, monkeypatch):
    monkeypatch.chdir(CORPUS)
    result = zebra("validate", "models/bad-direction/model.yaml", ok=False)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "models/bad-direction/model.yaml:13: metrics[0].direction: "
        "expected maximize or minimize, got 'up'"
    ]
    assert "1 problem(s)" in result.stderr


def test_validate_cli_folder_reports_every_case(zebra, monkeypatch):
    monkeypatch.chdir(CORPUS)
    result = zebra("validate", "--json", ".", ok=False)
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert len(report["files"]) == len(CASES)
    assert all(not f["ok"] for f in report["files"])


def test_validate_whole_project(zebra, blank_project: Path):
    zebra("new", "model", "m", "--type", "python")
    (blank_project / "data_sources" / "telco.yaml").write_text(
        "connector: file\npath: data/telco.csv\n"
        "schema:\n  columns:\n    - name: id\n  key: id\n"
    )
    ok = zebra("validate")
    assert "2 file(s) checked, 0 problem(s)" in ok.stderr
    # A reference to a dataset without definition is a warning only.
    assert "no dataset definition 'my_dataset'" in ok.stderr

    spec = blank_project / "models" / "m" / "model.yaml"
    spec.write_text(spec.read_text().replace("direction: maximize", "direction: up"))
    bad = zebra("validate", ok=False)
    assert bad.exit_code == 2
    assert "models/m/model.yaml:" in bad.stdout
    assert "metrics[0].direction: expected maximize or minimize, got 'up'" in (
        bad.stdout
    )


def test_validate_unknown_kind(zebra, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other.yaml").write_text("a: 1\n")
    result = zebra("validate", "other.yaml", ok=False)
    assert result.exit_code == 2
    assert "cannot tell whether this is a model spec" in result.stdout


def test_kind_is_sniffed_outside_the_usual_folders(tmp_path: Path):
    (tmp_path / "spec.yaml").write_text("name: x\nentrypoint: train.py\n")
    (tmp_path / "source.yaml").write_text("connector: file\npath: a.csv\n")
    assert detect_kind(tmp_path / "spec.yaml") == "model"
    assert detect_kind(tmp_path / "source.yaml") == "dataset"
    assert detect_kind(tmp_path / "nothing.txt") is None
