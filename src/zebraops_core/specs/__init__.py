"""Specs: model specs, dataset definitions and manifests.

``load_*`` read a file, check it and return the attrs object, or raise
:class:`zebraops_core.errors.SpecError` with every problem located.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from .dataset import Column, DatasetDefinition, Schema, Splits, Target
from .loader import converter, located, read_json, read_yaml, structure
from .manifest import Manifest, SourceRecord, SplitRecord
from .model import Metric, ModelSpec, MonitoringSpec

__all__ = [
    "Column",
    "DatasetDefinition",
    "Manifest",
    "Metric",
    "ModelSpec",
    "MonitoringSpec",
    "Schema",
    "SourceRecord",
    "SplitRecord",
    "Splits",
    "Target",
    "dump_manifest",
    "load_dataset_definition",
    "load_manifest",
    "load_model_spec",
    "spec_hash",
    "unstructure",
]

from ..errors import SpecError


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def load_model_spec(path: Path, *, root: Path | None = None) -> ModelSpec:
    """Load ``models/<name>/model.yaml`` and check it beyond types."""
    display = _display(path, root)
    raw = read_yaml(path, display=display)
    spec = structure(raw, ModelSpec, display=display)

    problems = []

    def problem(parts: list, message: str) -> None:
        problems.append(located(display, raw, parts, message))

    if spec.name != path.parent.name:
        problem(
            ["name"],
            f"'{spec.name}' differs from its folder "
            f"'{path.parent.name}'; rename one so they match",
        )
    if spec.spec_version > 1:
        problem(
            ["spec_version"],
            f"version {spec.spec_version} is newer than "
            "this ZebraOps understands (1); upgrade zebraops",
        )
    for role in spec.datasets:
        if role not in ("train", "valid", "test"):
            problem(
                ["datasets", role],
                f"unknown role '{role}'; expected train, valid or test",
            )
    for role in ("train", "valid"):
        if role not in spec.datasets:
            problem(["datasets"], f"'{role}' is required")
    names = [m.name for m in spec.metrics]
    for i, name in enumerate(names):
        if name in names[:i]:
            problem(["metrics", i, "name"], f"metric '{name}' listed twice")
    for target in spec.promotion.gates:
        if target not in ("staging", "prod"):
            problem(
                ["promotion", "gates", target],
                f"unknown target '{target}'; expected staging or prod",
            )
    if spec.resources.accelerator == "cpu" and spec.resources.gpu_count:
        problem(["resources", "gpu_count"], "gpu_count needs accelerator: gpu")
    if not 0 < spec.monitoring.drift_share <= 1:
        problem(
            ["monitoring", "drift_share"],
            f"expected a share between 0 and 1, got {spec.monitoring.drift_share}",
        )
    if spec.type == "notebook" and not spec.entrypoint.endswith(".ipynb"):
        problem(["entrypoint"], "a notebook model needs an .ipynb entrypoint")
    if spec.type == "python" and not spec.entrypoint.endswith(".py"):
        problem(["entrypoint"], "a python model needs a .py entrypoint")
    if problems:
        raise SpecError(problems)
    return spec


def load_dataset_definition(
    path: Path, *, root: Path | None = None
) -> DatasetDefinition:
    """Load ``data_sources/<id>.yaml``; ``id`` defaults to the file's stem."""
    display = _display(path, root)
    raw = read_yaml(path, display=display)
    if isinstance(raw, dict) and "id" not in raw:
        data = dict(raw)
        data["id"] = path.stem
    else:
        data = raw
    definition = structure(data, DatasetDefinition, display=display, raw_for_lines=raw)

    problems = []

    def problem(parts: list, message: str) -> None:
        problems.append(located(display, raw, parts, message))

    names = [c.name for c in definition.schema.columns]
    for i, name in enumerate(names):
        if name in names[:i]:
            problem(["schema", "columns", i, "name"], f"column '{name}' listed twice")
    target = definition.schema.target
    if target and target.column not in names:
        problem(
            ["schema", "target", "column"],
            f"'{target.column}' is not a declared column",
        )
    key = definition.schema.key
    if key and key not in names:
        problem(["schema", "key"], f"'{key}' is not a declared column")
    splits = definition.splits
    if splits.method == "hash":
        if not (splits.column or key):
            problem(["splits"], "hash splits need splits.column or schema.key")
        elif splits.column and splits.column not in names:
            problem(["splits", "column"], f"'{splits.column}' is not a declared column")
        total = sum(splits.ratios.values())
        if abs(total - 1.0) > 1e-6:
            problem(["splits", "ratios"], f"ratios sum to {total:g}; expected 1")
    if splits.method == "explicit" and not splits.column:
        problem(["splits"], "explicit splits need splits.column")
    if definition.path is None and definition.query is None:
        problem([], "needs either 'path' or 'query'")
    if problems:
        raise SpecError(problems)
    return definition


def load_manifest(path: Path, *, root: Path | None = None) -> Manifest:
    """Load a manifest JSON file; errors are located like YAML ones."""
    display = _display(path, root)
    raw = read_json(path, display=display)
    try:
        manifest = structure(raw, Manifest, display=display)
    except SpecError:
        # Only on failure: parse again keeping line numbers (JSON is YAML).
        lines = read_yaml(path, display=display)
        manifest = structure(raw, Manifest, display=display, raw_for_lines=lines)
    problems = []
    if not re.fullmatch(re.escape(manifest.dataset_id) + r"-[0-9a-f]{12}", manifest.id):
        problems.append(
            located(
                display,
                read_yaml(path, display=display),
                ["id"],
                f"expected '{manifest.dataset_id}-' and 12 hex digits, "
                f"got '{manifest.id}'",
            )
        )
    elif path.parent.name == "manifests" and path.stem != manifest.id:
        problems.append(
            located(
                display,
                read_yaml(path, display=display),
                ["id"],
                f"'{manifest.id}' differs from the file name '{path.name}'",
            )
        )
    if problems:
        raise SpecError(problems)
    return manifest


def unstructure(obj: Any) -> Any:
    return converter().unstructure(obj)


def dump_manifest(manifest: Manifest) -> str:
    return json.dumps(unstructure(manifest), indent=2, sort_keys=True) + "\n"


def spec_hash(obj: Any) -> str:
    """A stable hash of a spec's meaning (not its formatting or comments)."""
    canonical = json.dumps(unstructure(obj), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
