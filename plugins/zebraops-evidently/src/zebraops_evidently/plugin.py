"""Hook implementations of this plugin (filled in by its issue)."""

from zebraops_core.hookspecs import hookimpl  # noqa: F401
