"""``monitor_flow``: reference and current data in, a recorded verdict out.

Steps: load the prod version's training split, load the current data, run
the monitor, then record everywhere it is read from: the HTML report in the
object store, a run in the model's MLflow experiment (``zebra.kind=monitor``),
a row in the state store, drift and data-quality events, and a Pushgateway
when ``ZEBRA_PUSHGATEWAY_URL`` is set.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import tracking
from ..context import Context
from ..errors import NotFound, StateError
from ..interfaces import ColumnDrift, MonitorResult
from ..orchestration import flow, task
from ..state import tables, utcnow
from . import sources
from .check import Analysis, analyze

if TYPE_CHECKING:
    from ..specs import ModelSpec

log = logging.getLogger(__name__)

TAG_KIND = "zebra.kind"
TAG_MONITOR_ID = "zebra.monitor_id"


def new_id(model: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{model[:40]}-{stamp}-{secrets.token_hex(3)}"


def report_uri(ctx: Context, model: str, monitor_id: str) -> str:
    return ctx.settings.object_uri("reports", model, f"{monitor_id}.html")


# -- Steps --------------------------------------------------------------------


@task("load-reference")
def load_reference(ctx: Context, spec: ModelSpec) -> sources.Reference:
    return sources.prod_reference(ctx, spec)


@task("load-current")
def load_current(
    ctx: Context, spec: ModelSpec, current: str, window: str | None
) -> tuple[Any, str, int]:
    return sources.current_frame(ctx, spec, current, window)


@task("performance")
def check_performance(
    ctx: Context, spec: ModelSpec, ref: sources.Reference
) -> dict[str, Any] | None:
    from .labels import performance_status

    return performance_status(ctx, spec, ref.run_id, ref.version)


@task("check-drift")
def check_drift(
    ctx: Context,
    spec: ModelSpec,
    ref: sources.Reference,
    frame: Any,
    rows: int,
    html_path: Path,
    perf: dict[str, Any] | None,
) -> Analysis:
    from .sampling import sample_rule

    exclude = [c for c in (ref.target, ref.key) if c]
    m = spec.monitoring
    read_sampling = None
    if len(ref.frame) < ref.rows or len(frame) < rows:  # sampled while reading
        read_sampling = sample_rule(ref.rows, rows, m.sample_rows, m.seed)
    return analyze(
        ref.frame,
        frame,
        spec.monitoring,
        column_types=ref.column_types,
        exclude=exclude,
        report_path=html_path,
        performance=perf,
        sampling=read_sampling,
    )


def _put_report(ctx: Context, local: Path, uri: str) -> str | None:
    if not local.is_file():
        return None
    if "://" not in uri:
        target = Path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".html.tmp")
        shutil.copyfile(local, tmp)
        os.replace(tmp, target)
        return str(target)
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri, **ctx.settings.storage_options)
    fs.put_file(str(local), path)
    return uri


def _log_mlflow(
    ctx: Context, spec: ModelSpec, result: MonitorResult, html: Path | None
) -> str | None:
    """A run in the model's experiment holding the report and the numbers."""
    from mlflow.entities import Metric, Param, RunTag

    client = tracking.client(ctx.settings)
    experiment_id = tracking.ensure_experiment(ctx.settings, spec.experiment_name)
    run = client.create_run(
        experiment_id,
        run_name=f"monitor-{result.id[-20:]}",
        tags={
            TAG_KIND: "monitor",
            tracking.TAG_MODEL: spec.name,
            TAG_MONITOR_ID: result.id,
            tracking.TAG_PROFILE: ctx.profile,
            "zebra.model_version": result.model_version or "",
            tracking.TAG_DATASET_PREFIX + "train": result.reference_manifest or "",
            "zebra.current_source": result.current_source[:500],
            "zebra.recommendation": str(result.recommendation).lower(),
        },
    )
    run_id = run.info.run_id
    now = int(datetime.now(timezone.utc).timestamp() * 1000)
    metrics = [
        Metric("drift_share", result.drift_share, now, 0),
        Metric("dataset_drift", float(result.dataset_drift), now, 0),
        Metric("rows_current", float(result.rows_current), now, 0),
        Metric("rows_reference", float(result.rows_reference), now, 0),
    ]
    for c in result.columns:
        if c.score is not None:
            metrics.append(
                Metric(f"drift_score.{_metric_key(c.column)}", c.score, now, 0)
            )
    params = [
        Param("monitor", spec.monitoring.monitor),
        Param("drift_share_threshold", str(spec.monitoring.drift_share)),
    ]
    client.log_batch(
        run_id,
        metrics=metrics,
        params=params,
        tags=[RunTag("zebra.status", result.details.get("status", ""))],
    )
    with tempfile.TemporaryDirectory(prefix="zebra-monitor-") as tmp:
        path = Path(tmp, "monitor_result.json")
        path.write_text(json.dumps(to_dict(result), indent=2, default=str))
        client.log_artifact(run_id, str(path), artifact_path="monitor")
    if html is not None and html.is_file():
        client.log_artifact(run_id, str(html), artifact_path="monitor")
    client.set_terminated(run_id, "FINISHED")
    return run_id


def _metric_key(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", name)[:200]


def _store(ctx: Context, result: MonitorResult) -> None:
    try:
        with ctx.store.begin() as conn:
            conn.execute(
                tables.monitor_results.insert().values(
                    id=result.id,
                    model=result.model,
                    created_at=result.created_at,
                    model_version=result.model_version,
                    drift_share=result.drift_share,
                    dataset_drift=result.dataset_drift,
                    recommendation=result.recommendation,
                    rows_current=result.rows_current,
                    report_uri=result.report_uri,
                    data=to_dict(result),
                )
            )
    except StateError:
        raise
    except Exception as exc:
        raise StateError(f"cannot record monitor result {result.id}: {exc}") from None


def _emit(ctx: Context, result: MonitorResult) -> None:
    from ..events import append_events

    base = {
        "model": result.model,
        "model_version": result.model_version,
        "timestamp": result.created_at,
        "monitor_id": result.id,
    }
    append_events(
        ctx.settings,
        result.model,
        "drift_event",
        [
            {
                **base,
                "event": "drift_event",
                "reference_manifest": result.reference_manifest,
                "current_source": result.current_source,
                "rows_current": result.rows_current,
                "drift_share": result.drift_share,
                "dataset_drift": result.dataset_drift,
                "recommendation": result.recommendation,
                "reasons": list(result.reasons),
                "report_uri": result.report_uri,
                "columns": [attrs.asdict(c) for c in result.columns],
            }
        ],
    )
    append_events(
        ctx.settings,
        result.model,
        "data_quality_event",
        [
            {
                **base,
                "event": "data_quality_event",
                "rows_reference": result.rows_reference,
                "rows_current": result.rows_current,
                "columns": dict(result.quality.get("columns") or {}),
                "warnings": list(result.details.get("warnings") or []),
            }
        ],
    )
    if result.recommendation:
        append_events(
            ctx.settings,
            result.model,
            "incident_event",
            [
                {
                    "event": "incident_event",
                    "model": result.model,
                    "model_version": result.model_version,
                    "timestamp": result.created_at,
                    "severity": "warning",
                    "kind": "retrain_recommended",
                    "message": "; ".join(result.reasons) or "retrain recommended",
                    "details": {
                        "monitor_id": result.id,
                        "report_uri": result.report_uri,
                    },
                }
            ],
        )


# -- The flow -----------------------------------------------------------------


@flow("monitor")
def monitor_flow(
    project_dir: str,
    profile: str | None,
    model_name: str,
    current: str = sources.SERVING_LOG,
    window: str | None = None,
) -> dict[str, Any]:
    """Check ``current`` against the prod model's training data; record it."""
    ctx = Context(project_dir=Path(project_dir), profile_name=profile)
    spec = ctx.project.load_model(model_name)
    ref = load_reference(ctx, spec)
    frame, label, rows = load_current(ctx, spec, current, window)
    monitor_id = new_id(spec.name)
    with tempfile.TemporaryDirectory(prefix="zebra-monitor-") as tmp:
        html = Path(tmp, f"{monitor_id}.html")
        perf = check_performance(ctx, spec, ref)
        analysis = check_drift(ctx, spec, ref, frame, rows, html, perf)
        stored = _put_report(ctx, html, report_uri(ctx, spec.name, monitor_id))
        result = MonitorResult(
            model=spec.name,
            model_version=ref.version,
            reference_manifest=ref.manifest_id,
            current_source=label,
            rows_reference=ref.rows,
            rows_current=rows,
            drift_share=analysis.drift_share,
            dataset_drift=analysis.dataset_drift,
            columns=analysis.columns,
            quality=analysis.quality,
            recommendation=analysis.recommendation,
            reasons=analysis.reasons,
            report_uri=stored,
            sampling=analysis.sampling,
            created_at=utcnow(),
            id=monitor_id,
            details={
                "status": analysis.status,
                "warnings": list(analysis.warnings),
                "performance": perf,
                "not_checked": {
                    **{
                        c: "ignored (monitoring.ignore_columns)"
                        for c in spec.monitoring.ignore_columns
                    },
                    **({ref.key: "dataset key"} if ref.key else {}),
                    **({ref.target: "target"} if ref.target else {}),
                },
            },
        )
        try:
            run_id = _log_mlflow(ctx, spec, result, html if stored else None)
        except Exception as exc:  # the verdict still counts without MLflow
            log.warning("could not log the monitor run to MLflow: %s", exc)
            run_id = None
    result = attrs.evolve(result, details={**result.details, "mlflow_run_id": run_id})
    _store(ctx, result)
    _emit(ctx, result)
    from ..plugins import call_lifecycle

    call_lifecycle("after_monitor", model_name=spec.name, result=result)
    from .prometheus import push_if_configured

    push_if_configured(ctx)
    return to_dict(result)


def monitor(
    ctx: Context,
    model_name: str,
    current: str = sources.SERVING_LOG,
    *,
    window: str | None = None,
) -> MonitorResult:
    """Run :func:`monitor_flow` (through Prefect when configured)."""
    data = monitor_flow.run_in(
        ctx,
        str(ctx.project.root),
        ctx.profile_name,
        model_name,
        current,
        window,
    )
    return from_dict(data)


# -- Records ------------------------------------------------------------------


def to_dict(result: MonitorResult) -> dict[str, Any]:
    return json.loads(json.dumps(attrs.asdict(result), default=str))


def from_dict(data: dict[str, Any]) -> MonitorResult:
    data = dict(data)
    data["columns"] = tuple(ColumnDrift(**c) for c in data.get("columns", []))
    data["reasons"] = tuple(data.get("reasons", []))
    return MonitorResult(**data)


def latest(ctx: Context, model: str) -> MonitorResult | None:
    import sqlalchemy as sa

    t = tables.monitor_results
    with ctx.store.begin() as conn:
        row = conn.execute(
            sa.select(t.c.data)
            .where(t.c.model == model)
            .order_by(t.c.created_at.desc())
            .limit(1)
        ).first()
    return from_dict(row.data) if row else None


def acknowledge(ctx: Context, model: str, actor: str | None = None) -> dict:
    """Mark the latest recommendation of ``model`` acknowledged."""
    import getpass

    import sqlalchemy as sa

    t = tables.monitor_results
    with ctx.store.begin() as conn:
        row = conn.execute(
            sa.select(t.c.id, t.c.acked_at, t.c.created_at)
            .where(t.c.model == model, t.c.recommendation.is_(True))
            .order_by(t.c.created_at.desc())
            .limit(1)
        ).first()
        if row is None:
            raise NotFound(
                f"no retrain recommendation for '{model}' to acknowledge",
                hint=f"run `zebra monitor {model}` first",
            )
        if row.acked_at:
            return {"id": row.id, "acked_at": row.acked_at, "already": True}
        at = utcnow()
        who = actor or os.environ.get("ZEBRA_ACTOR") or getpass.getuser()
        conn.execute(
            t.update().where(t.c.id == row.id).values(acked_at=at, acked_by=who)
        )
    return {"id": row.id, "acked_at": at, "acked_by": who, "already": False}
