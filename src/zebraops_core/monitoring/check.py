"""From two frames to a verdict: the monitor plugin's columns, the drift
share, and the retrain recommendation with its reasons.

This part knows nothing about MLflow or the state store, so the benchmark and
other callers can use it on plain frames.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..interfaces import ColumnDrift

if TYPE_CHECKING:
    import pandas as pd

    from ..specs import MonitoringSpec

log = logging.getLogger(__name__)

NO_VERDICT = "no-verdict"
DRIFT = "drift"
NO_DRIFT = "no-drift"


@attrs.frozen
class Analysis:
    columns: tuple[ColumnDrift, ...]
    quality: dict[str, Any]
    sampling: dict[str, Any] | None
    drift_share: float
    dataset_drift: bool
    recommendation: bool
    reasons: tuple[str, ...]
    status: str
    warnings: tuple[str, ...] = ()


def get_monitor(name: str) -> Any:
    from ..plugins import get_implementation

    return get_implementation("monitor", name)()


def analyze(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    settings: MonitoringSpec,
    *,
    column_types: Mapping[str, str] | None = None,
    exclude: Sequence[str] = (),
    report_path: Path | None = None,
    performance: Mapping[str, Any] | None = None,
    sampling: Mapping[str, Any] | None = None,
) -> Analysis:
    """Run the configured monitor and decide whether to recommend a retrain.

    ``exclude`` names columns never checked (the target, the dataset key),
    on top of ``settings.ignore_columns``. ``sampling`` states the rule
    when the frames were already sampled while being read (see
    :mod:`.sampling`); it replaces the monitor's own (which saw no excess).
    """
    ignore = list(dict.fromkeys([*settings.ignore_columns, *exclude]))
    settings = attrs.evolve(settings, ignore_columns=ignore)
    rows = len(current)
    warnings: list[str] = []

    # A handful of rows: no verdict, only a warning
    if rows < settings.min_rows:
        message = (
            f"only {rows} current rows, below monitoring.min_rows="
            f"{settings.min_rows}: no drift verdict"
        )
        columns = tuple(
            ColumnDrift(c, "skipped", None, None, None, "too few current rows")
            for c in reference.columns
            if c not in ignore
        )
        quality = {"rows_reference": len(reference), "rows_current": rows}
        reasons, recommend = _performance_reasons(performance)
        return Analysis(
            columns,
            quality,
            None,
            0.0,
            False,
            recommend,
            tuple(reasons),
            NO_VERDICT,
            (message,),
        )

    monitor = get_monitor(settings.monitor)
    cols, quality, own_sampling = monitor.check(
        reference,
        current,
        settings,
        report_path=report_path,
        column_types=column_types,
    )
    if sampling is None or (own_sampling or {}).get("applied"):
        sampling = own_sampling
    columns = tuple(_clean(c) for c in cols)
    checked = [c for c in columns if c.status != "skipped"]
    drifted = [c for c in checked if c.status == "drifted"]
    if not checked:
        warnings.append("every column was skipped: no drift verdict")
        share = 0.0
    else:
        share = len(drifted) / len(checked)
    dataset_drift = bool(checked) and share >= settings.drift_share

    # Reasons for a retrain
    reasons: list[str] = []
    if dataset_drift:
        names = ", ".join(c.column for c in drifted[:8])
        more = f" and {len(drifted) - 8} more" if len(drifted) > 8 else ""
        reasons.append(
            f"{len(drifted)} of {len(checked)} checked columns drifted "
            f"(share {share:.2f} >= monitoring.drift_share "
            f"{settings.drift_share:g}): {names}{more}"
        )
    for c in drifted:
        if c.column in settings.column_thresholds:
            reasons.append(
                f"column {c.column} drifted past its own threshold "
                f"{settings.column_thresholds[c.column]:g} ({c.reason})"
            )
    perf_reasons, perf_recommend = _performance_reasons(performance)
    reasons.extend(perf_reasons)
    recommend = bool(
        dataset_drift
        or perf_recommend
        or any(c.column in settings.column_thresholds for c in drifted)
    )
    status = NO_VERDICT if not checked else (DRIFT if dataset_drift else NO_DRIFT)
    return Analysis(
        columns,
        dict(quality),
        dict(sampling) if sampling else None,
        round(share, 6),
        dataset_drift,
        recommend,
        tuple(reasons),
        status,
        tuple(warnings),
    )


def _clean(column: ColumnDrift) -> ColumnDrift:
    """A column whose score is not a finite number loses it, with a reason."""
    import math

    score = column.score
    if score is None:
        return column
    try:
        value = float(score)
    except (TypeError, ValueError):
        value = math.nan
    if math.isfinite(value):
        return attrs.evolve(column, score=value)
    return attrs.evolve(
        column,
        status="skipped",
        score=None,
        reason=(column.reason + "; " if column.reason else "")
        + "non-finite score dropped",
    )


def _performance_reasons(
    performance: Mapping[str, Any] | None,
) -> tuple[list[str], bool]:
    if not performance or not performance.get("decayed"):
        return [], False
    return [performance["message"]], True
