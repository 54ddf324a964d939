"""Domain exceptions. Only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class ZebraError(Exception):
    """Base of every error ZebraOps raises on purpose.

    ``hint`` says how to fix it; the CLI prints it under the message.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(ZebraError):
    """A spec, definition, profile or argument is wrong: fix the input."""

    exit_code = 2


class SpecError(ConfigError):
    """One or more located problems in a YAML or JSON file.

    Each problem reads ``path:line: field.path: what was wrong``.
    """

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems), hint=hint)


class ProjectNotFound(ConfigError):
    """No ZebraOps project above the working directory."""


class PluginError(ZebraError):
    """A plugin is broken, missing or conflicts with another."""

    exit_code = 2


class NotFound(ZebraError):
    """A model, dataset, manifest, run or version does not exist."""


class DataError(ZebraError):
    """Source data does not match its declared schema or cannot be read."""


class RunFailed(ZebraError):
    """A training, evaluation or monitoring run failed."""


class GateFailed(ZebraError):
    """Promotion refused because at least one gate failed."""


class StateError(ZebraError):
    """The state store cannot be opened, migrated or written."""
