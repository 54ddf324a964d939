"""A user project on disk: where its parts live and how to find them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

import attrs

from .errors import NotFound, ProjectNotFound

#: The file that marks a project's root.
PROJECT_FILE = "zebra.yaml"
PROJECT_ENV = "ZEBRA_PROJECT"


@attrs.define
class Project:
    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project containing ``start`` (default: ``$ZEBRA_PROJECT`` or
        the working directory), searching parent folders."""
        if start is None and os.environ.get(PROJECT_ENV):
            start = Path(os.environ[PROJECT_ENV])
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / PROJECT_FILE).is_file():
                return cls(folder)
        raise ProjectNotFound(
            f"no {PROJECT_FILE} in {here} or any parent folder",
            hint="run `zebra init` to create a project, or pass --project DIR",
        )

    # -- Layout -----------------------------------------------------------

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def data_sources_dir(self) -> Path:
        return self.root / "data_sources"

    @property
    def cached_data_dir(self) -> Path:
        return self.root / "cached_data"

    @property
    def manifests_dir(self) -> Path:
        return self.cached_data_dir / "manifests"

    @property
    def state_dir(self) -> Path:
        return self.root / ".zebraops"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    def relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    # -- Models and datasets ---------------------------------------------

    def model_names(self) -> list[str]:
        if not self.models_dir.is_dir():
            return []
        return sorted(p.parent.name for p in self.models_dir.glob("*/model.yaml"))

    def model_path(self, name: str) -> Path:
        path = self.models_dir / name / "model.yaml"
        if not path.is_file():
            import difflib

            names = self.model_names()
            close = difflib.get_close_matches(name, names, n=1)
            raise NotFound(
                f"no model '{name}' in {self.relative(self.models_dir)} "
                f"(models: {', '.join(names) or 'none'})",
                hint=f"did you mean '{close[0]}'?"
                if close
                else f"create one with `zebra new model {name}`",
            )
        return path

    def load_model(self, name: str):
        from .specs import load_model_spec

        return load_model_spec(self.model_path(name), root=self.root)

    def dataset_ids(self) -> list[str]:
        return sorted(p.stem for p in self._dataset_files())

    def _dataset_files(self) -> Iterator[Path]:
        if self.data_sources_dir.is_dir():
            yield from self.data_sources_dir.glob("*.yaml")
            yield from self.data_sources_dir.glob("*.yml")

    def dataset_path(self, dataset_id: str) -> Path:
        for path in self._dataset_files():
            if path.stem == dataset_id:
                return path
        known = ", ".join(self.dataset_ids()) or "none"
        raise NotFound(
            f"no dataset definition '{dataset_id}' in "
            f"{self.relative(self.data_sources_dir)} (datasets: {known})",
            hint=f"add {self.relative(self.data_sources_dir)}/{dataset_id}.yaml",
        )

    def load_dataset(self, dataset_id: str):
        from .specs import load_dataset_definition

        return load_dataset_definition(self.dataset_path(dataset_id), root=self.root)

    @cached_property
    def config(self) -> dict:
        from .specs.loader import read_yaml

        data = read_yaml(self.root / PROJECT_FILE, display=PROJECT_FILE) or {}
        return dict(data)

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.root.name)
