"""Fixtures for dataset tests: a small project and data files written by the
test itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

COLUMNS = [
    {"name": "id", "dtype": "string", "nullable": False},
    {"name": "name", "dtype": "string"},
    {"name": "age", "dtype": "int"},
    {"name": "score", "dtype": "float"},
    {"name": "joined", "dtype": "datetime"},
    {"name": "active", "dtype": "bool"},
    {"name": "plan", "dtype": "category"},
    {"name": "label", "dtype": "string", "nullable": False},
]
HEADER = [c["name"] for c in COLUMNS]


def rows(n: int, start: int = 0) -> list[list[str]]:
    """Deterministic rows; every 10th score is blank (a coercion)."""
    out = []
    for i in range(start, start + n):
        out.append(
            [
                f"c{i:05d}",
                f"name {i}",
                str(20 + i % 50),
                "" if i % 10 == 3 else f"{(i * 7) % 100 / 4:.2f}",
                f"2024-01-{1 + i % 28:02d}",
                "yes" if i % 3 else "no",
                ["basic", "pro", "team"][i % 3],
                "Yes" if i % 4 == 0 else "No",
            ]
        )
    return out


def write_csv(
    path: Path,
    data: list[list[str]],
    *,
    header: list[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
) -> Path:
    lines = [delimiter.join(header or HEADER)] + [delimiter.join(r) for r in data]
    text = "\n".join(lines) + "\n"
    raw = text.encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + raw)
    return path


def definition(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "connector": "file",
        "path": "data/people.csv",
        "format": "csv",
        "schema": {
            "key": "id",
            "target": {"column": "label", "mapping": {"Yes": 1, "No": 0}},
            "columns": COLUMNS,
        },
        "splits": {
            "method": "hash",
            "column": "id",
            "ratios": {"train": 0.6, "valid": 0.2, "test": 0.2},
            "seed": 7,
        },
    }
    for key, value in overrides.items():
        if key in ("splits", "options") and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


class DataProject:
    """A throwaway ZebraOps project holding only dataset definitions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "data_sources").mkdir(parents=True)
        (root / "zebra.yaml").write_text("name: data-test\n")

    def define(self, dataset_id: str = "people", **overrides: Any) -> Path:
        path = self.root / "data_sources" / f"{dataset_id}.yaml"
        # JSON is YAML.
        path.write_text(json.dumps(definition(**overrides), indent=2))
        return path

    def ctx(self, profile: str | None = None):
        from zebraops_core.context import Context

        return Context(project_dir=self.root, profile_name=profile)

    def manifest_files(self) -> list[Path]:
        folder = self.root / "cached_data" / "manifests"
        return sorted(folder.glob("*")) if folder.is_dir() else []

    def parquet_entries(self) -> list[Path]:
        folder = self.root / "cached_data" / "parquet"
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def indexed(self) -> list[str]:
        from zebraops_core.datasets import list_manifests

        return [r["id"] for r in list_manifests(self.ctx())]


@pytest.fixture
def data_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataProject:
    project = DataProject(tmp_path / "proj")
    monkeypatch.chdir(project.root)
    return project


@pytest.fixture
def people_csv(data_project: DataProject) -> Callable[..., Path]:
    def make(n: int = 200, **kw: Any) -> Path:
        return write_csv(data_project.root / "data" / "people.csv", rows(n), **kw)

    return make


def validate_manifest_json(path: Path) -> dict:
    """The manifest against schemas/manifest.schema.json."""
    import jsonschema

    schema_path = (
        Path(__file__).resolve().parents[2] / "schemas" / "manifest.schema.json"
    )
    data = json.loads(path.read_text())
    jsonschema.validate(data, json.loads(schema_path.read_text()))
    return data
