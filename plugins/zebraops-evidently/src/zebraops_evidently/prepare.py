"""Column checks Evidently does not do: decide, per column, whether a drift
test can run, and settle the cases where it cannot.

Everything here is plain pandas, vectorized, and cheap next to the drift
tests themselves (a few column scans). Each column ends up either in the
Evidently run (numerical or categorical) or with a settled
:class:`ColumnDrift` whose reason says why.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from zebraops_core.interfaces import ColumnDrift

log = logging.getLogger(__name__)

#: A column needs this many non-missing values per side for a drift test.
MIN_VALUES = 5
#: An absolute change of the missing share above this is drift by itself.
MISSING_SHIFT = 0.2
#: Default threshold for the share of current values that differ from a
#: constant reference value.
CONSTANT_THRESHOLD = 0.1
#: A text column with more distinct values than this, and mostly unique
#: values, is an identifier: a distribution test means nothing there.
ID_MIN_DISTINCT = 50
ID_UNIQUE_RATIO = 0.5
#: How many new or vanished categories a reason lists.
SHOW_CATEGORIES = 5

NUMERIC_TYPES = {"int", "float"}
CATEGORICAL_TYPES = {"string", "category", "bool"}


@attrs.define
class Plan:
    """What to do with each column, and the frames ready for Evidently."""

    reference: pd.DataFrame
    current: pd.DataFrame
    numerical: list[str] = attrs.field(factory=list)
    categorical: list[str] = attrs.field(factory=list)
    settled: dict[str, ColumnDrift] = attrs.field(factory=dict)
    notes: dict[str, list[str]] = attrs.field(factory=dict)
    quality: dict[str, Any] = attrs.field(factory=dict)
    order: list[str] = attrs.field(factory=list)

    @property
    def tested(self) -> list[str]:
        return self.numerical + self.categorical


def column_kind(series: pd.Series, declared: str | None) -> str:
    """numerical, categorical or datetime, from the declared type first."""
    if declared in NUMERIC_TYPES:
        return "numerical"
    if declared == "datetime":
        return "datetime"
    if declared in CATEGORICAL_TYPES:
        return "categorical"
    if pd.api.types.is_bool_dtype(series):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_numeric_dtype(series):
        return "numerical"
    return "categorical"


def _as_numeric(series: pd.Series) -> tuple[pd.Series, int]:
    """Float values with inf as missing, and how many values failed to parse."""
    if pd.api.types.is_bool_dtype(series):
        series = series.astype("float64")
    if not pd.api.types.is_numeric_dtype(series):
        before = int(series.notna().sum())
        series = pd.to_numeric(series, errors="coerce")
        failed = before - int(series.notna().sum())
    else:
        failed = 0
    values = series.astype("float64")
    if np.isinf(values.to_numpy()).any():
        values = values.replace([np.inf, -np.inf], np.nan)
    return values, failed


def _as_text(series: pd.Series) -> pd.Series:
    """Strings (missing stays missing): what Evidently's categorical tests need."""
    if pd.api.types.is_object_dtype(series) and (
        pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")
    ):
        return series
    text = series.astype(str)
    return text.where(series.notna(), None).astype(object)


def _show(values: list[Any]) -> str:
    shown = [str(v) for v in values[:SHOW_CATEGORIES]]
    more = len(values) - len(shown)
    return "[" + ", ".join(shown) + (f", +{more} more" if more > 0 else "") + "]"


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else 0.0


def plan(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    column_types: Mapping[str, str] | None,
    ignore: list[str],
    thresholds: Mapping[str, float],
) -> Plan:
    """Sort every reference column into tested or settled (with a reason)."""
    types = dict(column_types or {})
    ref_out: dict[str, pd.Series] = {}
    cur_out: dict[str, pd.Series] = {}
    result = Plan(reference=reference, current=current)
    per_column: dict[str, dict[str, Any]] = {}
    n_ref, n_cur = len(reference), len(current)

    def settle(
        name: str,
        status: str,
        reason: str,
        *,
        score: float | None = None,
        test: str | None = None,
        threshold: float | None = None,
    ) -> None:
        result.settled[name] = ColumnDrift(
            column=name,
            status=status,
            score=score,
            test=test,
            threshold=threshold,
            reason=reason,
        )

    tiny = min(n_ref, n_cur) < MIN_VALUES
    for name in reference.columns:
        if name in ignore:
            continue
        result.order.append(name)
        if tiny:
            settle(
                name,
                "skipped",
                f"too few rows to test ({n_ref} reference, "
                f"{n_cur} current; need {MIN_VALUES})",
            )
            continue
        if name not in current.columns:
            settle(name, "skipped", "absent from the current data")
            per_column[name] = {"absent_in_current": True}
            continue
        kind = column_kind(reference[name], types.get(name))
        info: dict[str, Any] = {"kind": kind}
        per_column[name] = info
        if kind == "datetime":
            settle(
                name,
                "skipped",
                "datetime column: its values move with time, "
                "so a distribution test would always fire",
            )
            continue

        # Bring both sides to one representation
        if kind == "numerical":
            ref, _ = _as_numeric(reference[name])
            cur, failed = _as_numeric(current[name])
            if failed:
                info["unparsed_current"] = failed
                result.notes.setdefault(name, []).append(
                    f"{failed} current values are not numbers (counted as missing)"
                )
        else:
            ref, cur = _as_text(reference[name]), _as_text(current[name])

        # One pass per side: counts per category, or count/min/max of numbers
        if kind == "categorical":
            ref_counts = ref.value_counts(dropna=True, sort=False)
            cur_counts = cur.value_counts(dropna=True, sort=False)
            ref_valid, cur_valid = int(ref_counts.sum()), int(cur_counts.sum())
            ref_distinct = len(ref_counts)
        else:
            ref_valid, cur_valid = int(ref.count()), int(cur.count())
            lo, hi = ref.min(), ref.max()
            ref_distinct = 1 if lo == hi else 2  # only "constant or not" matters
        ref_missing = 1.0 - _share(ref_valid, n_ref)
        cur_missing = 1.0 - _share(cur_valid, n_cur)
        info.update(
            missing_reference=round(ref_missing, 6),
            missing_current=round(cur_missing, 6),
        )

        # Empty or nearly empty sides
        if ref_valid == 0 and cur_valid == 0:
            settle(name, "skipped", "no values on either side")
            continue
        if ref_valid == 0:
            settle(name, "skipped", "no values in the reference")
            continue
        if cur_valid == 0:
            settle(
                name,
                "drifted",
                f"every current value is missing (reference: "
                f"{ref_missing:.1%} missing)",
                score=1.0,
                test="missing_share",
                threshold=MISSING_SHIFT,
            )
            continue
        if abs(cur_missing - ref_missing) > MISSING_SHIFT:
            settle(
                name,
                "drifted",
                f"missing share moved from {ref_missing:.1%} to {cur_missing:.1%}",
                score=round(abs(cur_missing - ref_missing), 6),
                test="missing_share",
                threshold=MISSING_SHIFT,
            )
            continue
        if ref_valid < MIN_VALUES or cur_valid < MIN_VALUES:
            settle(
                name,
                "skipped",
                f"too few values to test ({ref_valid} reference, {cur_valid} "
                f"current non-missing; need {MIN_VALUES})",
            )
            continue

        # Constant reference: the tests divide by its spread
        if ref_distinct == 1:
            if kind == "categorical":
                value = ref_counts.index[0]
                same = int(cur_counts.get(value, 0))
            else:
                value = lo
                same = int((cur == value).sum())
            value = value.item() if hasattr(value, "item") else value
            differ = _share(cur_valid - same, cur_valid)
            limit = float(thresholds.get(name, CONSTANT_THRESHOLD))
            drifted = differ > limit
            settle(
                name,
                "drifted" if drifted else "ok",
                f"constant in the reference ({value!r}); {differ:.1%} of "
                "current values differ",
                score=round(differ, 6),
                test="constant_reference",
                threshold=limit,
            )
            continue

        if kind == "categorical":
            if (
                ref_distinct > ID_MIN_DISTINCT
                and ref_distinct > ID_UNIQUE_RATIO * ref_valid
            ):
                settle(
                    name,
                    "skipped",
                    f"identifier-like: {ref_distinct} distinct values in "
                    f"{ref_valid} rows",
                )
                continue
            info["distinct_reference"] = ref_distinct
            new = cur_counts.index.difference(ref_counts.index)
            vanished = ref_counts.index.difference(cur_counts.index)
            if len(new):
                share = _share(int(cur_counts[new].sum()), cur_valid)
                info["new_categories"] = [str(v) for v in new[:50]]
                result.notes.setdefault(name, []).append(
                    f"new categories in current {_show(list(new))} "
                    f"({share:.1%} of rows)"
                )
            if len(vanished):
                info["vanished_categories"] = [str(v) for v in vanished[:50]]
                result.notes.setdefault(name, []).append(
                    f"categories absent from current {_show(list(vanished))}"
                )
            result.categorical.append(name)
        else:
            outside = _share(int(((cur < lo) | (cur > hi)).sum()), cur_valid)
            info.update(
                reference_min=float(lo),
                reference_max=float(hi),
                out_of_range_current=round(outside, 6),
            )
            if outside:
                result.notes.setdefault(name, []).append(
                    f"{outside:.1%} of current values outside the reference "
                    f"range [{lo:g}, {hi:g}]"
                )
            result.numerical.append(name)
        ref_out[name], cur_out[name] = ref, cur

    result.reference = pd.DataFrame(ref_out, index=reference.index)
    result.current = pd.DataFrame(cur_out, index=current.index)
    result.quality = {
        "rows_reference": n_ref,
        "rows_current": n_cur,
        "columns_absent_in_current": [
            c for c in result.order if c not in current.columns
        ],
        "extra_columns_in_current": [
            c for c in current.columns if c not in reference.columns
        ],
        "columns": per_column,
    }
    return result


def finite(value: Any) -> float | None:
    """A plain float, or None for NaN, inf and non-numbers."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
