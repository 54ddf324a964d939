"""The committed JSON Schemas equal the generated ones, and they agree with
the loaders on valid and on wrongly typed files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from zebraops_core.specs import jsonschema as gen
from zebraops_core.specs.loader import read_json, read_yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
CORPUS = Path(__file__).parent / "broken_specs"
REGENERATE = "python -m zebraops_core.specs.jsonschema --write schemas/"


@pytest.mark.parametrize("file", sorted(gen.SCHEMAS))
def test_committed_schema_is_generated(file: str):
    committed = (SCHEMAS / file).read_text("utf-8")
    assert committed == gen.render(gen.generate()[file]), (
        f"schemas/{file} is stale; regenerate it with `{REGENERATE}`"
    )


@pytest.mark.parametrize("file", sorted(gen.SCHEMAS))
def test_schema_is_valid_2020_12(file: str):
    schema = json.loads((SCHEMAS / file).read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)  # raises if not
    assert schema["$schema"].endswith("/draft/2020-12/schema")


def test_cli_prints_one_schema(capsys):
    assert gen.main(["model"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["$id"].endswith("model-spec.schema.json")
    assert "entrypoint" in printed["required"]


def _validator(file: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        json.loads((SCHEMAS / file).read_text("utf-8"))
    )


def test_scaffolded_model_spec_matches_schema(zebra, blank_project: Path):
    zebra("new", "model", "m", "--type", "notebook")
    raw = read_yaml(blank_project / "models" / "m" / "model.yaml")
    errors = list(_validator("model-spec.schema.json").iter_errors(raw))
    assert errors == []


# Corpus files whose problem is a type or key (not a cross-field rule): the
# schema must reject them too.
TYPE_CASES = [
    ("model-spec.schema.json", "models/bad-direction/model.yaml"),
    ("model-spec.schema.json", "models/key-typo/model.yaml"),
    ("model-spec.schema.json", "models/missing-name/model.yaml"),
    ("model-spec.schema.json", "models/datasets-list/model.yaml"),
    ("model-spec.schema.json", "models/grid-not-list/model.yaml"),
    ("model-spec.schema.json", "models/unknown-top-key/model.yaml"),
    ("dataset-definition.schema.json", "data_sources/bad-dtype.yaml"),
    ("dataset-definition.schema.json", "data_sources/column-typo.yaml"),
    ("dataset-definition.schema.json", "data_sources/format-xml.yaml"),
    ("dataset-definition.schema.json", "data_sources/missing-schema.yaml"),
    ("manifest.schema.json", "manifests/bad-types.json"),
    ("manifest.schema.json", "manifests/extra-key.json"),
]


@pytest.mark.parametrize("schema,case", TYPE_CASES)
def test_schema_rejects_typed_mistakes(schema: str, case: str):
    path = CORPUS / case
    raw = read_json(path) if path.suffix == ".json" else read_yaml(path)
    assert list(_validator(schema).iter_errors(raw)), f"{case} passed {schema}"


def test_dataset_schema_allows_missing_id():
    raw = {
        "connector": "file",
        "path": "data/x.csv",
        "schema": {"columns": [{"name": "a", "dtype": "int"}]},
    }
    assert list(_validator("dataset-definition.schema.json").iter_errors(raw)) == []
