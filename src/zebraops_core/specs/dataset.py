"""Dataset definition: ``data_sources/<id>.yaml``."""

from __future__ import annotations

from typing import Any, Literal

import attrs

DType = Literal["string", "int", "float", "bool", "category", "datetime"]


@attrs.frozen
class Column:
    name: str
    dtype: DType = "string"
    nullable: bool = True


@attrs.frozen
class Target:
    column: str
    # Raw label -> model label, e.g. {"Yes": 1, "No": 0}.
    mapping: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Schema:
    columns: list[Column]
    target: Target | None = None
    # Identifier column (unique per row); hash splits default to it.
    key: str | None = None


@attrs.frozen
class Splits:
    method: Literal["hash", "explicit", "none"] = "hash"
    # Column hashed for "hash" (defaults to schema.key); holds the split
    # name for "explicit".
    column: str | None = None
    ratios: dict[str, float] = attrs.field(
        factory=lambda: {"train": 0.7, "valid": 0.15, "test": 0.15}
    )
    seed: int = 0


@attrs.frozen
class DatasetDefinition:
    id: str
    connector: str
    schema: Schema
    spec_version: int = 1
    # fsspec URL or path relative to the project; for SQL, unused.
    path: str | None = None
    # SQL text for query connectors.
    query: str | None = None
    # csv | parquet | jsonl for file connectors; None sniffs from the suffix.
    format: Literal["csv", "parquet", "jsonl"] | None = None
    # Connector parameters: delimiter, encoding, na_values, url_env,
    # storage_options...
    options: dict[str, Any] = attrs.field(factory=dict)
    splits: Splits = attrs.field(factory=Splits)
    description: str = ""
