"""The per-invocation context: project, settings and state, built lazily."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import attrs

from .project import Project


@attrs.define
class Context:
    """What every command and flow needs, each part built on first use."""

    project_dir: Path | None = None
    profile_name: str | None = None

    @cached_property
    def project(self) -> Project:
        return Project.find(self.project_dir)

    @cached_property
    def settings(self):
        from .settings import resolve

        return resolve(self.project, self.profile_name)

    @cached_property
    def store(self):
        from .state import open_store

        return open_store(self.settings.state_url)

    @property
    def profile(self) -> str:
        return self.settings.profile.name
