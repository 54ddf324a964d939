"""Per-split, per-column statistics of a materialized split."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
TOP = 10
#: Above this many values, quantiles are t-digest estimates (one pass).
EXACT_QUANTILES_UP_TO = 200_000
#: Text columns longer than this are first checked on a sample of this size;
#: above this share of distinct values they get no value counts.
CARDINALITY_SAMPLE = 100_000
HIGH_CARDINALITY_SHARE = 0.2


def _num(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def column_stats(arr: Any) -> dict[str, Any]:
    """Stats of one column (a pyarrow ChunkedArray)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    total = len(arr)
    missing = arr.null_count
    out: dict[str, Any] = {
        "count": total - missing,
        "missing": missing,
        "missing_share": round(missing / total, 6) if total else 0.0,
    }
    kind = arr.type
    if total == missing:
        return out
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        minmax = pc.min_max(arr)
        out["min"] = _num(minmax["min"].as_py())
        out["max"] = _num(minmax["max"].as_py())
        out["mean"] = _num(pc.mean(arr).as_py())
        out["std"] = (
            _num(pc.stddev(arr, ddof=1).as_py()) if total - missing > 1 else None
        )
        if total - missing > EXACT_QUANTILES_UP_TO:
            values = pc.tdigest(arr, q=list(QUANTILES))
        else:
            values = pc.quantile(arr, q=list(QUANTILES), interpolation="linear")
        out["quantiles"] = {
            f"p{int(q * 100):02d}": _num(v)
            for q, v in zip(QUANTILES, values.to_pylist(), strict=True)
        }
    elif pa.types.is_boolean(kind):
        true = pc.sum(arr).as_py() or 0
        out["true"] = true
        out["true_share"] = round(true / (total - missing), 6)
    elif pa.types.is_timestamp(kind):
        minmax = pc.min_max(arr)
        out["min"] = minmax["min"].as_py().isoformat()
        out["max"] = minmax["max"].as_py().isoformat()
    else:
        values = arr.drop_null()
        if pa.types.is_dictionary(kind):
            values = values.unify_dictionaries()
        elif len(values) > CARDINALITY_SAMPLE and is_high_cardinality(values):
            out["high_cardinality"] = True
            return out
        counts = pc.value_counts(values)
        names = counts.field("values")
        if pa.types.is_dictionary(names.type):
            names = names.dictionary_decode()
        table = pa.table({"value": names, "count": counts.field("counts")})
        out["distinct"] = table.num_rows
        order = pc.sort_indices(
            table, sort_keys=[("count", "descending"), ("value", "ascending")]
        )
        top = table.take(order[:TOP]).to_pylist()
        out["top"] = [[item["value"], item["count"]] for item in top]
    return out


def is_high_cardinality(values: Any) -> bool:
    """Whether a text column looks like an identifier, judged on a sample:
    counting every value of such a column costs seconds and says little."""
    import pyarrow.compute as pc

    sample = values.slice(0, CARDINALITY_SAMPLE)
    return pc.count_distinct(sample).as_py() > HIGH_CARDINALITY_SHARE * len(sample)


def split_stats(path: Path) -> dict[str, dict[str, Any]]:
    """Stats of every column of a local Parquet split, read column by column.

    Text columns are read dictionary-encoded (fast counts), except those that
    look like identifiers, which get counts and missing values only.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    rows = parquet.metadata.num_rows
    text = [f.name for f in schema if pa.types.is_string(f.type)]
    identifiers = set()
    if rows > CARDINALITY_SAMPLE:
        for name in text:
            first = parquet.read_row_group(0, columns=[name]).column(0).drop_null()
            if len(first) >= CARDINALITY_SAMPLE // 2 and is_high_cardinality(first):
                identifiers.add(name)
    as_dict = [n for n in text if n not in identifiers]
    reader = pq.ParquetFile(path, read_dictionary=as_dict)
    stats = {}
    for name in schema.names:
        if name in identifiers:
            stats[name] = _identifier_stats(parquet, schema.get_field_index(name))
        else:
            stats[name] = column_stats(reader.read(columns=[name]).column(0))
    return stats


def _identifier_stats(parquet: Any, index: int) -> dict[str, Any]:
    """Counts from the Parquet footer, without reading the values."""
    meta = parquet.metadata
    total = meta.num_rows
    missing = 0
    for i in range(meta.num_row_groups):
        column = meta.row_group(i).column(index)
        if column.statistics is None or not column.statistics.has_null_count:
            values = parquet.read(columns=[parquet.schema_arrow.names[index]])
            missing = values.column(0).null_count
            break
        missing += column.statistics.null_count
    return {
        "count": total - missing,
        "missing": missing,
        "missing_share": round(missing / total, 6) if total else 0.0,
        "high_cardinality": True,
    }
