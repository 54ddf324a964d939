"""Request bodies -> a DataFrame that matches the model signature.

Parsing accepts what MLflow's scoring server accepts (``dataframe_split``,
``dataframe_records``, ``instances``, ``inputs`` and ``text/csv``). Checks are
vectorized per column; every problem raises :class:`InputError` whose message
names the column and the cause.
"""

from __future__ import annotations

import io
from typing import Any

import attrs
import numpy as np
import pandas as pd

JSON_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
ACCEPTED_TYPES = ("application/json", "text/csv")

_INT_BOUNDS = {"long": 2**63, "integer": 2**31}
_NUMERIC_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}


@attrs.frozen
class ColumnSpec:
    name: str
    #: MLflow DataType name: string, long, integer, double, float, boolean,
    #: datetime, binary... ("any" when unknown).
    type: str
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "required": self.required}


class InputError(Exception):
    """A request the server refuses; becomes a JSON error response."""

    def __init__(self, status: int, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"message": self.message, **self.detail}


# -- Parsing ------------------------------------------------------------------


@attrs.frozen
class Table:
    """Columns as 1-D numpy arrays of equal length: cheaper than a DataFrame
    for the small requests serving mostly sees."""

    columns: dict[str, np.ndarray]
    rows: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns, copy=False)

    def take(self, rows: np.ndarray) -> dict[str, list[Any]]:
        return {c: a[rows].tolist() for c, a in self.columns.items()}


def _objects(values: Any, n: int) -> np.ndarray:
    """A 1-D object array holding each value as it is (lists stay cells)."""
    return np.fromiter(values, dtype=object, count=n)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_media_type(content_type: str | None) -> str:
    kind = media_type(content_type)
    if kind not in ACCEPTED_TYPES:
        shown = kind or "none"
        raise InputError(
            415,
            f"unsupported content type '{shown}'; send one of "
            f"{', '.join(ACCEPTED_TYPES)}",
            accepted_types=list(ACCEPTED_TYPES),
        )
    return kind


def parse_body(body: bytes, kind: str, columns: list[ColumnSpec] | None) -> Table:
    if not body.strip():
        raise InputError(422, "empty request body; send rows to predict")
    if kind == "text/csv":
        return _parse_csv(body, columns)
    import orjson

    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InputError(422, f"body is not valid JSON: {exc}") from None
    return parse_json(payload, columns)


def _parse_csv(body: bytes, columns: list[ColumnSpec] | None) -> Table:
    # Strings stay strings ("1" in a string column is not a number); only an
    # empty cell is null.
    dtype = {c.name: str for c in columns or () if c.type == "string"}
    try:
        df = pd.read_csv(
            io.BytesIO(body), dtype=dtype, keep_default_na=False, na_values=[""]
        )
    except Exception as exc:
        raise InputError(422, f"body is not valid CSV: {_first_line(exc)}") from None
    if df.columns.duplicated().any():
        dup = sorted(set(df.columns[df.columns.duplicated()]))
        raise InputError(422, f"duplicate CSV columns: {', '.join(map(str, dup))}")
    return Table({str(c): df[c].to_numpy() for c in df.columns}, len(df))


def parse_json(payload: Any, columns: list[ColumnSpec] | None) -> Table:
    if not isinstance(payload, dict):
        raise InputError(
            422,
            "JSON body must be an object with one of the keys "
            f"{', '.join(JSON_FORMATS)}",
        )
    found = [k for k in JSON_FORMATS if k in payload]
    unknown = sorted(k for k in payload if k not in JSON_FORMATS and k != "params")
    if len(found) != 1 or unknown:
        what = f"found {found or 'none of them'}"
        if unknown:
            what += f" and unknown keys {unknown}"
        raise InputError(
            422, f"JSON body needs exactly one of {', '.join(JSON_FORMATS)}; {what}"
        )
    key = found[0]
    value = payload[key]
    if key == "dataframe_split":
        return _from_split(value, columns)
    if key == "dataframe_records":
        return _from_records(value, key)
    return _from_tf_serving(value, key, columns)


def _from_rows(data: list[list[Any]], names: list[str], key: str) -> Table:
    bad = [i for i, row in enumerate(data) if len(row) != len(names)]
    if bad:
        raise InputError(
            422,
            f"{key} rows {bad[:10]} do not have {len(names)} values (one per column)",
        )
    n = len(data)
    if n == 0:
        return Table({name: _objects((), 0) for name in names}, 0)
    cols = zip(*data, strict=True)
    return Table(
        {name: _objects(col, n) for name, col in zip(names, cols, strict=True)}, n
    )


def _from_split(value: Any, columns: list[ColumnSpec] | None) -> Table:
    if not isinstance(value, dict):
        raise InputError(
            422, "dataframe_split must be an object with 'columns' and 'data'"
        )
    data = value.get("data")
    names = value.get("columns")
    if not isinstance(data, list):
        raise InputError(422, "dataframe_split.data must be a list of rows")
    if names is None:
        if columns is None:
            raise InputError(
                422, "dataframe_split.columns is required (the model has no signature)"
            )
        names = [c.name for c in columns]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(422, "dataframe_split.columns must be a list of strings")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputError(
            422, f"duplicate columns in dataframe_split.columns: {', '.join(dup)}"
        )
    if not all(type(row) is list for row in data):
        raise InputError(422, "dataframe_split.data must be a list of lists")
    return _from_rows(data, names, "dataframe_split.data")


def _from_records(value: Any, key: str) -> Table:
    if not isinstance(value, list) or not all(type(r) is dict for r in value):
        raise InputError(422, f"{key} must be a list of objects (column -> value)")
    names: dict[str, None] = {}
    for record in value:
        names.update(dict.fromkeys(record))
    n = len(value)
    return Table({str(c): _objects((r.get(c) for r in value), n) for c in names}, n)


def _from_tf_serving(value: Any, key: str, columns: list[ColumnSpec] | None) -> Table:
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        if not lists:  # one row given as column -> scalar
            return _from_records([value], key)
        if len(lists) != len(value) or len({len(v) for v in lists}) != 1:
            raise InputError(
                422,
                f"{key} as an object needs a list of equal length for every column",
            )
        n = len(lists[0])
        return Table({str(c): _objects(v, n) for c, v in value.items()}, n)
    if not isinstance(value, list):
        raise InputError(422, f"{key} must be a list of rows or an object of columns")
    if all(type(r) is dict for r in value):
        return _from_records(value, key)
    if all(type(r) is list for r in value):
        if columns is None:
            raise InputError(
                422, f"{key} as lists needs a model signature to name columns"
            )
        return _from_rows(value, [c.name for c in columns], key)
    raise InputError(422, f"{key} must be a list of objects or a list of lists")


# -- Conforming to the signature ----------------------------------------------


def conform(
    table: Table, columns: list[ColumnSpec] | None, strict: bool = False
) -> tuple[Table, list[str]]:
    """The model's input columns (signature order) and the dropped extras."""
    if table.rows == 0:
        raise InputError(422, "no rows to predict")
    if columns is None:
        return table, []
    present = table.columns
    missing = [c.name for c in columns if c.name not in present]
    known = {c.name for c in columns}
    extra = [c for c in present if c not in known]
    if missing:
        raise InputError(
            422, f"missing columns: {', '.join(missing)}", missing_columns=missing
        )
    if extra and strict:
        raise InputError(
            422,
            f"unexpected columns (strict mode): {', '.join(extra)}",
            extra_columns=extra,
        )
    out: dict[str, np.ndarray] = {}
    errors: list[dict[str, str]] = []
    for spec in columns:
        try:
            out[spec.name] = _coerce(present[spec.name], spec)
        except InputError as exc:
            errors.append({"column": spec.name, "message": exc.message})
    if errors:
        raise InputError(422, "; ".join(e["message"] for e in errors), errors=errors)
    return Table(out, table.rows), extra


def _coerce(values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
    name = spec.name
    nulls = pd.isna(values)
    any_null = bool(nulls.any())
    if any_null and spec.required:
        rows = np.flatnonzero(nulls)[:10].tolist()
        raise InputError(
            422,
            f"column '{name}' is null in rows {rows} but the model signature "
            "requires a value",
        )
    kind = spec.type
    if kind == "string":
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred not in ("string", "empty"):
            raise InputError(
                422, f"column '{name}' expects strings, got {inferred} values"
            )
        return values.astype(object, copy=False)
    if kind in ("long", "integer", "double", "float"):
        return _numeric(values, spec, nulls, any_null)
    if kind == "boolean":
        if values.dtype == bool:
            return values
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred not in ("boolean", "empty"):
            raise InputError(
                422, f"column '{name}' expects booleans, got {inferred} values"
            )
        return values
    if kind == "datetime":
        out = pd.to_datetime(pd.Series(values), errors="coerce").to_numpy()
        bad = pd.isna(out) & ~nulls
        if bad.any():
            first = values[bad][0]
            raise InputError(422, f"column '{name}' expects date-times, got {first!r}")
        return out
    return values


def _numeric(
    values: np.ndarray, spec: ColumnSpec, nulls: np.ndarray, any_null: bool
) -> np.ndarray:
    name, kind = spec.name, spec.type
    integral = kind in ("long", "integer")
    want = "integers" if integral else "numbers"
    if values.dtype == bool:
        raise InputError(422, f"column '{name}' expects {want}, got booleans")
    if values.dtype.kind not in "iuf":
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        has_bool = inferred == "boolean" or (
            inferred == "mixed" and any(type(v) is bool for v in values)
        )
        if has_bool:
            raise InputError(422, f"column '{name}' expects {want}, got booleans")
        if inferred not in _NUMERIC_KINDS and inferred not in ("string", "empty"):
            raise InputError(
                422, f"column '{name}' expects {want}, got {inferred} values"
            )
        if inferred == "integer" and not any_null:
            try:
                values = values.astype(np.int64)
            except OverflowError:
                raise InputError(
                    422, f"column '{name}' has numbers out of range"
                ) from None
        else:
            try:
                conv = pd.to_numeric(values, errors="coerce")
            except (ValueError, TypeError, OverflowError) as exc:
                raise InputError(422, f"column '{name}': {_first_line(exc)}") from None
            conv = np.asarray(conv)
            bad = pd.isna(conv) & ~nulls
            if bad.any():
                first = values[bad][0]
                raise InputError(422, f"column '{name}' expects {want}, got {first!r}")
            if conv.dtype == object:  # e.g. Python ints beyond 64 bits
                raise InputError(422, f"column '{name}' has numbers out of range")
            values = conv
    if values.dtype.kind == "f" and np.isinf(values).any():
        raise InputError(422, f"column '{name}' has non-finite values")
    if not integral:
        return values.astype(np.float32 if kind == "float" else np.float64, copy=False)
    bound = _INT_BOUNDS[kind]
    target = np.int64 if kind == "long" else np.int32
    if values.dtype.kind == "f":
        present = values[~nulls] if any_null else values
        fractional = np.mod(present, 1) != 0
        if fractional.any():
            raise InputError(
                422, f"column '{name}' expects integers, got {present[fractional][0]!r}"
            )
        if present.size and np.abs(present).max() >= bound:
            raise InputError(
                422, f"column '{name}' has integers out of range for {kind}"
            )
        return values if any_null else values.astype(target)
    if values.size and (values.max() >= bound or values.min() < -bound):
        raise InputError(422, f"column '{name}' has integers out of range for {kind}")
    return values.astype(target, copy=False)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# -- OpenAPI --------------------------------------------------------------------

_JSON_TYPES = {
    "string": "string",
    "long": "integer",
    "integer": "integer",
    "double": "number",
    "float": "number",
    "boolean": "boolean",
}


def request_schema(columns: list[ColumnSpec] | None) -> dict[str, Any]:
    """JSON schema of the /predict JSON body for these signature columns."""
    if columns is None:
        row: dict[str, Any] = {"type": "object"}
    else:
        props = {}
        for c in columns:
            t = _JSON_TYPES.get(c.type)
            prop: dict[str, Any] = {"type": t} if t else {}
            if t and not c.required:
                prop = {"type": [t, "null"]}
            props[c.name] = prop
        row = {
            "type": "object",
            "properties": props,
            "required": [c.name for c in columns if c.required],
        }
    rows = {"type": "array", "items": row, "minItems": 1}
    return {
        "oneOf": [
            {
                "type": "object",
                "title": "dataframe_records",
                "properties": {"dataframe_records": rows},
                "required": ["dataframe_records"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "title": "instances",
                "properties": {"instances": rows},
                "required": ["instances"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "title": "inputs",
                "properties": {"inputs": rows},
                "required": ["inputs"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "title": "dataframe_split",
                "properties": {
                    "dataframe_split": {
                        "type": "object",
                        "properties": {
                            "columns": {"type": "array", "items": {"type": "string"}},
                            "data": {
                                "type": "array",
                                "items": {"type": "array"},
                                "minItems": 1,
                            },
                        },
                        "required": ["columns", "data"],
                    }
                },
                "required": ["dataframe_split"],
                "additionalProperties": False,
            },
        ]
    }
