"""Dataset manifest: the immutable record of one ingest."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class SourceRecord:
    uri: str
    connector: str
    fingerprint: str | None = None
    content_hash: str | None = None
    size_bytes: int | None = None


@attrs.frozen
class SplitRecord:
    rows: int
    uri: str
    sha256: str
    size_bytes: int


@attrs.frozen
class Manifest:
    id: str
    dataset_id: str
    created_at: str
    source: SourceRecord
    # The dataset definition's schema as applied (see specs.dataset.Schema).
    schema: dict[str, Any]
    splits: dict[str, SplitRecord]
    # split -> column -> stats (count, missing, min/max/mean/quantiles or top).
    stats: dict[str, dict[str, dict[str, Any]]] = attrs.field(factory=dict)
    # column -> number of values coerced to null.
    coercions: dict[str, int] = attrs.field(factory=dict)
    hashes: dict[str, str] = attrs.field(factory=dict)
    spec_version: int = 1

    def split_uri(self, split: str) -> str:
        return self.splits[split].uri

    @property
    def target_column(self) -> str | None:
        target = self.schema.get("target")
        return target["column"] if target else None
