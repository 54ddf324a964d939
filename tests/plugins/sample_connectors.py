"""A plugin providing one connector that yields rows from memory."""

from __future__ import annotations

from collections.abc import Iterator

from zebraops_core.hookspecs import hookimpl
from zebraops_core.interfaces import Connector, SourceInfo


class MemoryConnector(Connector):
    """Reads ``options.rows`` of a dataset definition (a list of dicts)."""

    type_name = "memory"

    def describe(self, definition, uri: str) -> SourceInfo:
        rows = definition.options.get("rows", [])
        return SourceInfo(uri=uri, fingerprint=str(len(rows)), size_bytes=None)

    def read(self, definition, uri: str) -> Iterator:
        import pyarrow as pa

        yield pa.RecordBatch.from_pylist(definition.options.get("rows", []))


@hookimpl
def register_connectors():
    return {"memory": MemoryConnector}
