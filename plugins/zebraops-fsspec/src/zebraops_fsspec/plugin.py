"""Hook implementations of the fsspec plugin: the ``file`` connector."""

from __future__ import annotations

from zebraops_core.hookspecs import hookimpl


@hookimpl
def register_connectors() -> dict[str, type]:
    from .connector import FileConnector

    return {"file": FileConnector}
