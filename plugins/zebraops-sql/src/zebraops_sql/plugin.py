"""Hook implementations of the SQL plugin: the ``sql`` connector."""

from __future__ import annotations

from zebraops_core.hookspecs import hookimpl


@hookimpl
def register_connectors() -> dict[str, type]:
    from .connector import SqlConnector

    return {"sql": SqlConnector}
