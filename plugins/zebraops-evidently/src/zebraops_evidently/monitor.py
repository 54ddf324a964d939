"""The ``evidently`` monitor: Evidently 0.7's DataDriftPreset, made robust.

Columns Evidently cannot test sensibly (empty, constant, identifier-like,
datetime, too few values) are settled by :mod:`.prepare` before the run; the
rest go through one Evidently report. Scores that come back NaN or infinite
never reach the result: such a column is reported as skipped, with the reason.
Evidently is imported only when a check runs.
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zebraops_core.interfaces import ColumnDrift, Monitor
from zebraops_core.monitoring.sampling import sample_frame, sample_rule

if TYPE_CHECKING:
    import pandas as pd

    from zebraops_core.specs import MonitoringSpec

    from .prepare import Plan

log = logging.getLogger(__name__)


class EvidentlyMonitor(Monitor):
    """Data drift through Evidently, with ZebraOps' column checks."""

    type_name = "evidently"

    def check(
        self,
        reference: pd.DataFrame,
        current: pd.DataFrame,
        settings: MonitoringSpec,
        *,
        report_path: Path | None = None,
        column_types: Mapping[str, str] | None = None,
    ) -> tuple[list[ColumnDrift], dict[str, Any], dict[str, Any] | None]:
        from .prepare import plan

        sampling = sample_rule(
            len(reference), len(current), settings.sample_rows, settings.seed
        )
        if sampling["applied"]:
            reference = sample_frame(reference, settings.sample_rows, settings.seed)
            current = sample_frame(current, settings.sample_rows, settings.seed)
        columns_plan = plan(
            reference,
            current,
            column_types=column_types,
            ignore=list(settings.ignore_columns),
            thresholds=dict(settings.column_thresholds),
        )
        tested, snapshot = self._run(columns_plan, settings)
        columns = []
        for name in columns_plan.order:
            found = columns_plan.settled.get(name) or tested.get(name)
            if found is None:  # defensive: never lose a column silently
                found = ColumnDrift(
                    name, "skipped", None, None, None, "no result from the drift test"
                )
            notes = columns_plan.notes.get(name)
            if notes:
                reason = "; ".join(filter(None, [found.reason, *notes]))
                found = ColumnDrift(
                    found.column,
                    found.status,
                    found.score,
                    found.test,
                    found.threshold,
                    reason,
                )
            columns.append(found)
        quality = columns_plan.quality
        quality["evidently_columns"] = len(columns_plan.tested)
        if report_path is not None:
            self._write_report(report_path, snapshot, columns, sampling)
        return columns, quality, sampling

    # -- Evidently --------------------------------------------------------

    def _run(self, p: Plan, settings: MonitoringSpec) -> tuple[dict, Any]:
        """Drift per tested column; a failing run is retried per column."""
        if not p.tested:
            return {}, None
        try:
            snapshot = self._report(
                p.reference, p.current, p.numerical, p.categorical, settings
            )
            return self._parse(snapshot, p.tested), snapshot
        except Exception as exc:  # isolate the column Evidently chokes on
            log.warning(
                "Evidently failed on the whole frame (%s); retrying column by column",
                exc,
            )
        found: dict[str, ColumnDrift] = {}
        for name in p.tested:
            num = [name] if name in p.numerical else []
            cat = [name] if name in p.categorical else []
            try:
                snap = self._report(
                    p.reference[[name]], p.current[[name]], num, cat, settings
                )
                found.update(self._parse(snap, [name]))
            except Exception as exc:
                found[name] = ColumnDrift(
                    name,
                    "skipped",
                    None,
                    None,
                    None,
                    f"the drift test failed: {type(exc).__name__}: {exc}"[:300],
                )
        return found, None

    @staticmethod
    def _report(ref, cur, numerical, categorical, settings) -> Any:
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset

        definition = DataDefinition(
            numerical_columns=numerical, categorical_columns=categorical
        )
        tested = set(numerical) | set(categorical)
        per_column = {
            k: float(v) for k, v in settings.column_thresholds.items() if k in tested
        }
        report = Report(
            [
                DataDriftPreset(
                    drift_share=settings.drift_share,
                    per_column_threshold=per_column or None,
                )
            ],
            include_tests=True,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return report.run(
                Dataset.from_pandas(cur, data_definition=definition),
                Dataset.from_pandas(ref, data_definition=definition),
            )

    @staticmethod
    def _parse(snapshot: Any, names: list[str]) -> dict[str, ColumnDrift]:
        from .prepare import finite

        data = snapshot.dict()
        metrics: dict[str, dict] = {}
        for metric in data.get("metrics", []):
            config = metric.get("config") or {}
            if config.get("type", "").endswith("ValueDrift"):
                metrics[metric["id"]] = metric
        status: dict[str, str] = {}
        for test in data.get("tests", []):
            metric_id = (test.get("metric_config") or {}).get("metric_id")
            if metric_id in metrics:
                status[metric_id] = test.get("status", "")
        found: dict[str, ColumnDrift] = {}
        for metric_id, metric in metrics.items():
            config = metric["config"]
            name = config.get("column")
            if name not in names:
                continue
            score = finite(metric.get("value"))
            test = config.get("method")
            threshold = finite(config.get("threshold"))
            if score is None:
                found[name] = ColumnDrift(
                    name,
                    "skipped",
                    None,
                    test,
                    threshold,
                    "the drift test returned no finite score",
                )
                continue
            drifted = status.get(metric_id) == "FAIL"
            found[name] = ColumnDrift(
                name,
                "drifted" if drifted else "ok",
                score,
                test,
                threshold,
                f"{test} {score:.4g} {'beyond' if drifted else 'within'} "
                f"threshold {threshold:g}"
                if threshold is not None
                else "",
            )
        return found

    # -- HTML -------------------------------------------------------------

    def _write_report(
        self, path: Path, snapshot: Any, columns: list[ColumnDrift], sampling: dict
    ) -> None:
        """Evidently's HTML plus a ZebraOps table of every column and why."""
        page = ""
        if snapshot is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    page = snapshot.get_html_str(as_iframe=False)
            except Exception as exc:
                log.warning("Evidently could not render its report: %s", exc)
        section = _summary_html(columns, sampling)
        if "</body>" in page:
            head, _, tail = page.rpartition("</body>")
            page = head + section + "</body>" + tail
        else:
            page = (
                "<!doctype html><html><head><meta charset='utf-8'>"
                "<title>ZebraOps drift report</title></head><body>"
                + section
                + "</body></html>"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.replace(tmp, path)


def _summary_html(columns: list[ColumnDrift], sampling: dict) -> str:
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape('' if v is None else str(v))}</td>"
            for v in (
                c.column,
                c.status,
                None if c.score is None else f"{c.score:.4g}",
                c.test,
                c.threshold,
                c.reason,
            )
        )
        + "</tr>"
        for c in columns
    )
    return (
        "<section id='zebraops-columns' style='font-family:sans-serif;"
        "margin:2em'><h2>ZebraOps: every column and why</h2>"
        f"<p>Sampling: {html.escape(str(sampling.get('reason', '')))}</p>"
        "<table border='1' cellpadding='4' style='border-collapse:collapse'>"
        "<tr><th>column</th><th>status</th><th>score</th><th>test</th>"
        "<th>threshold</th><th>reason</th></tr>"
        f"{rows}</table></section>"
    )
