"""Check raw record batches against a dataset's declared schema and coerce
them to it: dtypes, blank-to-null, label mapping, nullability.

Every error names the column and an example row (1-based data row, header
not counted) with its value.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

    from ..specs import DatasetDefinition

log = logging.getLogger(__name__)

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
DELIMITERS = {",": "','", ";": "';'", "\t": "a tab", "|": "'|'"}


def arrow_type(dtype: str) -> pa.DataType:
    import pyarrow as pa

    return {
        "string": pa.string(),
        "category": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "datetime": pa.timestamp("us"),
    }[dtype]


def _mapped_type(mapping: dict[str, Any]) -> pa.DataType:
    import pyarrow as pa

    values = list(mapping.values())
    if values and all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if values and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    ):
        return pa.float64()
    return pa.string()


class Validator:
    """Turns raw batches into batches of the declared output schema."""

    def __init__(self, definition: DatasetDefinition, source: str) -> None:
        import pyarrow as pa

        self.definition = definition
        self.source = source
        self.columns = definition.schema.columns
        target = definition.schema.target
        self.target = target.column if target else None
        self.mapping = dict(target.mapping) if target and target.mapping else {}
        fields = []
        for col in self.columns:
            if col.name == self.target and self.mapping:
                fields.append(pa.field(col.name, _mapped_type(self.mapping)))
            else:
                fields.append(pa.field(col.name, arrow_type(col.dtype)))
        self.schema = pa.schema(fields)
        self.coercions: dict[str, int] = {}
        self.rows = 0
        self._checked = False
        self.dropped: list[str] = []

    # -- Columns ------------------------------------------------------------

    def check_columns(self, names: Sequence[str]) -> None:
        declared = [c.name for c in self.columns]
        missing = [n for n in declared if n not in names]
        self.dropped = [n for n in names if n not in declared]
        if not missing:
            if self.dropped:
                log.warning(
                    "%s: columns not in the schema are dropped: %s",
                    self.source,
                    ", ".join(self.dropped),
                )
            return
        parts = []
        for name in missing[:8]:
            close = difflib.get_close_matches(name, list(names), n=1)
            parts.append(
                f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else "")
            )
        if len(missing) > 8:
            parts.append(f"... ({len(missing)} in all)")
        what = "target column" if missing == [self.target] else "columns"
        shown = ", ".join(repr(n) for n in list(names)[:8])
        if len(names) > 8:
            shown += f", ... ({len(names)} in all)"
        hint = "fix the schema in the dataset definition, or the source"
        if len(names) == 1:
            for delim, label in DELIMITERS.items():
                if delim in names[0]:
                    hint = (
                        f"the header looks separated by {label}: set "
                        f"options.delimiter: {delim!r} in the dataset definition"
                    )
                    break
        raise DataError(
            f"{self.source}: missing {what} {', '.join(parts)}; the source has "
            f"{len(names)} column(s): {shown}",
            hint=hint,
        )

    # -- Batches ------------------------------------------------------------

    def convert(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        import pyarrow as pa
        import pyarrow.compute as pc

        if not self._checked:
            self.check_columns(batch.schema.names)
            self._checked = True
        offset = self.rows
        arrays = []
        for col, _field in zip(self.columns, self.schema, strict=True):
            raw = batch.column(batch.schema.get_field_index(col.name))
            if col.name == self.target and self.mapping:
                arr = self._map_labels(raw, offset)
            else:
                arr, blanks = self._coerce(raw, col.name, col.dtype, offset)
                if blanks:
                    self.coercions[col.name] = self.coercions.get(col.name, 0) + blanks
            if not col.nullable and arr.null_count:
                row = _first(pc.is_null(arr))
                raise DataError(
                    f"{self.source}: column '{col.name}' is declared not "
                    f"nullable but row {offset + row + 1} has no value",
                    hint="fill the value in the source, or set nullable: true",
                )
            arrays.append(arr)
        self.rows += batch.num_rows
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _coerce(
        self, arr: pa.Array, name: str, dtype: str, offset: int
    ) -> tuple[pa.Array, int]:
        import pyarrow as pa
        import pyarrow.compute as pc

        target = arrow_type(dtype)
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if pa.types.is_large_string(arr.type):
            arr = arr.cast(pa.string())
        if not pa.types.is_string(arr.type):
            return self._cast_typed(arr, name, dtype, target, offset), 0
        if dtype in ("string", "category"):
            # An empty string is a missing value.
            empty = pc.equal(arr, "")
            if pc.any(empty).as_py():
                arr = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
            return arr, 0
        if dtype != "bool":
            # Fast path: a clean batch casts directly.
            try:
                return pc.cast(arr, target), 0
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        trimmed = pc.utf8_trim_whitespace(arr)
        blank = pc.equal(trimmed, "")
        blanks = pc.sum(blank).as_py() or 0
        if blanks:
            trimmed = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)
        if dtype == "bool":
            return self._parse_bool(trimmed, name, offset), blanks
        try:
            return pc.cast(trimmed, target), blanks
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if dtype == "datetime":
                # Offsets ("Z", "+02:00"): converted to UTC, kept naive.
                try:
                    return _parse_zoned(trimmed, target), blanks
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    pass
            row, value = self._first_unparseable(trimmed, dtype)
            raise self._bad_value(name, dtype, offset + row, value) from None

    def _parse_bool(self, arr: pa.Array, name: str, offset: int) -> pa.Array:
        import pyarrow as pa
        import pyarrow.compute as pc

        lower = pc.utf8_lower(arr)
        is_true = pc.is_in(lower, value_set=pa.array(TRUE_WORDS))
        is_false = pc.is_in(lower, value_set=pa.array(FALSE_WORDS))
        bad = pc.and_(pc.is_valid(arr), pc.invert(pc.or_(is_true, is_false)))
        if pc.any(bad).as_py():
            row = _first(bad)
            raise self._bad_value(name, "bool", offset + row, arr[row].as_py())
        return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.bool_()), is_true)

    def _first_unparseable(self, arr: pa.Array, dtype: str) -> tuple[int, Any]:
        import pyarrow as pa
        import pyarrow.compute as pc

        if dtype == "int":
            ok = pc.match_substring_regex(arr, r"^-?\d+$")
        else:
            ok_values = []
            target = arrow_type(dtype)
            for value in arr.to_pylist():
                try:
                    pc.cast(pa.array([value], pa.string()), target)
                    ok_values.append(True)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    ok_values.append(value is None)
                    if value is not None:
                        break
            ok = pa.array(ok_values + [True] * (len(arr) - len(ok_values)))
        bad = pc.and_(pc.is_valid(arr), pc.invert(pc.fill_null(ok, True)))
        row = _first(bad)
        return row, arr[row].as_py()

    def _cast_typed(
        self, arr: pa.Array, name: str, dtype: str, target: pa.DataType, offset: int
    ) -> pa.Array:
        """Cast a typed (Parquet, JSON, SQL) column; bad values are errors."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if arr.type == target:
            return arr
        if pa.types.is_null(arr.type):
            return pa.nulls(len(arr), target)
        if dtype == "bool" and (
            pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)
        ):
            # Only 0 and 1 are booleans.
            bad = pc.invert(pc.is_in(arr, value_set=pa.array([0, 1], arr.type)))
            bad = pc.and_(pc.is_valid(arr), bad)
            if pc.any(bad).as_py():
                row = _first(bad)
                raise self._bad_value(
                    name, dtype, offset + row, arr[row].as_py(), str(arr.type)
                )
        try:
            if dtype in ("string", "category") and pa.types.is_boolean(arr.type):
                return pc.if_else(arr, "true", "false")
            return pc.cast(arr, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        for row, value in enumerate(arr.to_pylist()):
            if value is None:
                continue
            try:
                pc.cast(pa.array([value], arr.type), target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise self._bad_value(
                    name, dtype, offset + row, value, str(arr.type)
                ) from None
        raise self._bad_value(name, dtype, offset, arr[0].as_py(), str(arr.type))

    def _bad_value(
        self,
        name: str,
        dtype: str,
        row: int,
        value: Any,
        source_type: str | None = None,
    ) -> DataError:
        got = f" (source type {source_type})" if source_type else ""
        return DataError(
            f"{self.source}: column '{name}' is declared {dtype} but row "
            f"{row + 1} holds {value!r}{got}, which is not a valid {dtype}",
            hint=f"fix the value in the source, or declare '{name}' with "
            "another dtype (string keeps it as text)",
        )

    # -- Labels -------------------------------------------------------------

    def _map_labels(self, arr: pa.Array, offset: int) -> pa.Array:
        import pyarrow as pa
        import pyarrow.compute as pc

        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if pa.types.is_boolean(arr.type):
            arr = pc.if_else(arr, "true", "false")
        text = pc.utf8_trim_whitespace(pc.cast(arr, pa.string()))
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        keys = pa.array([str(k) for k in self.mapping], pa.string())
        index = pc.index_in(text, value_set=keys)
        unmapped = pc.and_(pc.is_valid(text), pc.is_null(index))
        if pc.any(unmapped).as_py():
            row = _first(unmapped)
            known = ", ".join(repr(k) for k in self.mapping)
            raise DataError(
                f"{self.source}: target column '{self.target}' holds "
                f"{text[row].as_py()!r} in row {offset + row + 1}, which the label "
                f"mapping does not cover (mapped: {known})",
                hint="add the label to schema.target.mapping, or fix the source",
            )
        values = pa.array(
            list(self.mapping.values()), self.schema.field(self.target).type
        )
        return pc.take(values, index)


ZONE = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"


def _parse_zoned(arr: pa.Array, target: pa.DataType) -> pa.Array:
    """Timestamps, some with a UTC offset: those are converted to UTC."""
    import pyarrow as pa
    import pyarrow.compute as pc

    zoned = pc.fill_null(pc.match_substring_regex(arr, ZONE), False)
    none = pa.scalar(None, pa.string())
    aware = pc.cast(pc.if_else(zoned, arr, none), pa.timestamp("us", tz="UTC"))
    naive = pc.cast(pc.if_else(zoned, none, arr), target)
    return pc.if_else(zoned, aware.cast(target), naive)


def _first(mask: pa.Array) -> int:
    """Index of the first true value of a boolean array."""
    import pyarrow.compute as pc

    return int(pc.index(mask, True).as_py())
