"""Validate spec files by kind: what ``zebra validate`` and ``zebra doctor``
run.

A file's kind comes from where it lives (``models/*/model.yaml``,
``data_sources/*.yaml``, ``*.json`` manifests) and, for other YAML files,
from its keys. Every problem is a located string ``file:line: field:
message``; warnings (a model reading a dataset with no definition) never
fail a validation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import SpecError

if TYPE_CHECKING:
    from ..project import Project

MODEL = "model"
DATASET = "dataset"
MANIFEST = "manifest"
KINDS = (MODEL, DATASET, MANIFEST)


@attrs.frozen
class FileReport:
    """The outcome for one file."""

    path: str
    kind: str | None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "ok": self.ok,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }


def detect_kind(path: Path) -> str | None:
    """The spec kind of ``path``, or None when it cannot tell."""
    parts = path.parts
    if path.suffix == ".json":
        return MANIFEST
    if path.suffix not in (".yaml", ".yml"):
        return None
    if path.name in ("model.yaml", "model.yml"):
        return MODEL
    if len(parts) >= 2 and parts[-2] == "data_sources":
        return DATASET
    # Anything else: sniff the top-level keys.
    try:
        from .loader import read_yaml

        raw = read_yaml(path)
    except SpecError:
        return None
    if isinstance(raw, dict):
        if "entrypoint" in raw:
            return MODEL
        if "connector" in raw:
            return DATASET
    return None


def collect(path: Path) -> Iterator[Path]:
    """Spec files at ``path``: itself, or the spec files found below it."""
    if not path.is_dir():
        yield path
        return
    found: set[Path] = set()
    for pattern in (
        "**/model.yaml",
        "**/model.yml",
        "**/data_sources/*.yaml",
        "**/data_sources/*.yml",
        "**/manifests/*.json",
    ):
        for item in path.glob(pattern):
            rel = item.relative_to(path).parts
            if any(p.startswith(".") for p in rel[:-1]):
                continue
            found.add(item)
    yield from sorted(found)


def validate_file(
    path: Path,
    *,
    root: Path | None = None,
    kind: str | None = None,
    dataset_ids: Iterable[str] | None = None,
) -> FileReport:
    """Load ``path`` as its kind and report every problem found.

    :param root: project root; problems name files relative to it.
    :param dataset_ids: known dataset ids; a model spec's dataset reference
        outside them is a warning.
    """
    from . import _display, load_dataset_definition, load_manifest, load_model_spec

    display = _display(path, root)
    kind = kind or detect_kind(path)
    if not path.exists():
        return FileReport(display, kind, (f"{display}: file not found",))
    if kind is None:
        return FileReport(
            display,
            None,
            (
                f"{display}: cannot tell whether this is a model spec, a dataset "
                "definition or a manifest (expected models/<name>/model.yaml, "
                "data_sources/<id>.yaml or a .json manifest)",
            ),
        )
    loaders = {
        MODEL: load_model_spec,
        DATASET: load_dataset_definition,
        MANIFEST: load_manifest,
    }
    try:
        obj = loaders[kind](path, root=root)
    except SpecError as exc:
        return FileReport(display, kind, tuple(exc.problems))
    warnings: list[str] = []
    if kind == MODEL and dataset_ids is not None:
        known = set(dataset_ids)
        missing: dict[str, str] = {}  # dataset -> first role reading it
        for role in sorted(obj.datasets, key=("train", "valid", "test").index):
            missing.setdefault(obj.dataset_ref(role).dataset, role)
        for dataset, role in missing.items():
            if dataset in known:
                continue
            from .loader import located, read_yaml

            warnings.append(
                located(
                    display,
                    read_yaml(path, display=display),
                    ["datasets", role],
                    f"no dataset definition '{dataset}' in data_sources/ "
                    f"(known: {', '.join(sorted(known)) or 'none'})",
                )
            )
    return FileReport(display, kind, (), tuple(warnings))


def validate_paths(
    paths: Iterable[Path], *, project: Project | None = None
) -> list[FileReport]:
    """Validate files or folders; with a project, names are relative to it
    and model specs' dataset references are checked."""
    root = project.root if project else None
    dataset_ids = project.dataset_ids() if project else None
    reports = []
    for path in paths:
        for item in collect(path):
            reports.append(validate_file(item, root=root, dataset_ids=dataset_ids))
    return reports


def validate_project(project: Project) -> list[FileReport]:
    """Every model spec, dataset definition and manifest of a project."""
    files: list[tuple[Path, str]] = []
    files += [
        (project.models_dir / n / "model.yaml", MODEL) for n in project.model_names()
    ]
    files += [(p, DATASET) for p in sorted(project._dataset_files())]
    if project.manifests_dir.is_dir():
        files += [(p, MANIFEST) for p in sorted(project.manifests_dir.glob("*.json"))]
    dataset_ids = project.dataset_ids()
    return [
        validate_file(path, root=project.root, kind=kind, dataset_ids=dataset_ids)
        for path, kind in files
    ]
