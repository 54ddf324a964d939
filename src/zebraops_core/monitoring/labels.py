"""Ground truth: join label events to prediction events, score time windows.

``zebra labels ingest <model> <source>`` reads label events (request_id,
optional row, label), joins them to the serving log's prediction events on
(request_id, row), computes the model's declared metrics per time window and
model version, stores them in the ``performance`` table and emits
performance_events. ``zebra monitor`` compares the latest window with the
metric the prod version had at training time.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from .. import tracking
from ..errors import DataError, NotFound
from ..state import tables, utcnow
from . import sources

if TYPE_CHECKING:
    import pandas as pd

    from ..context import Context
    from ..specs import ModelSpec

log = logging.getLogger(__name__)

#: Run metric keys that may hold the training-time value of metric ``m``.
TRAIN_METRIC_KEYS = (
    "eval.{m}",
    "{m}",
    "valid.{m}",
    "valid_{m}",
    "val_{m}",
    "{m}_valid",
)


def _label_frame(ctx: Context, source: str) -> pd.DataFrame:
    from ..events import validate_event

    frame = sources.read_table(ctx, source)
    missing = [c for c in ("request_id", "label") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: label events need columns request_id and "
            f"label; missing {', '.join(missing)}"
        )
    if "row" not in frame.columns:
        frame["row"] = 0
    frame["request_id"] = frame["request_id"].astype(str)
    frame["row"] = frame["row"].fillna(0).astype(int)
    for number, record in enumerate(
        frame[["request_id", "label"]].to_dict("records"), 1
    ):
        if record["label"] is None or (
            isinstance(record["label"], float) and math.isnan(record["label"])
        ):
            raise DataError(f"{source}: record {number}: field 'label' is empty")
        try:
            validate_event("label_event", record)
        except DataError as exc:
            raise DataError(f"{source}: record {number}: {exc.message}") from None
    return frame.drop_duplicates(["request_id", "row"], keep="last")


def _prediction_frame(ctx: Context, model: str) -> pd.DataFrame:
    import pandas as pd

    records = []
    for event in sources.read_events(ctx, model):
        outputs = event.get("outputs") or {}
        at = sources.event_time(event)
        if "request_id" not in event or at is None:
            continue
        records.append(
            {
                "request_id": str(event["request_id"]),
                "row": int(event.get("row") or 0),
                "timestamp": at,
                "model_version": str(event.get("model_version") or ""),
                "prediction": outputs.get("prediction"),
                "probabilities": outputs.get("probabilities"),
            }
        )
    if not records:
        raise NotFound(
            f"no prediction events for '{model}' under "
            f"{sources.serving_log_dir(ctx, model)}",
            hint="serve the model with prediction logging on first (--sample-rate 1)",
        )
    return pd.DataFrame.from_records(records)


def _target_mapping(ctx: Context, spec: ModelSpec) -> dict[str, Any]:
    try:
        definition = ctx.project.load_dataset(spec.dataset_ref("train").dataset)
    except Exception:
        return {}
    target = definition.schema.target
    return {str(k): v for k, v in (target.mapping if target else {}).items()}


def _score(
    names: list[str], group: pd.DataFrame, threshold: float
) -> dict[str, float | None]:
    import numpy as np

    from ..evaluation.metrics import CLASSIFICATION, METRICS, compute

    out: dict[str, float | None] = {}
    probs = [p for p in group["probabilities"] if isinstance(p, dict) and p]
    classes = list(probs[0]) if probs and len(probs) == len(group) else None
    for name in names:
        metric = METRICS.get(name)
        if metric is None:
            continue
        if metric.task == CLASSIFICATION:
            y = group["label"].astype(str).to_numpy(dtype=object)
            if classes:
                scores = np.array(
                    [
                        [float(p.get(c) or 0.0) for c in classes]
                        for p in group["probabilities"]
                    ]
                )
            else:  # hard predictions only: one-hot scores
                classes = sorted({*map(str, group["prediction"]), *y})
                pred = group["prediction"].astype(str).to_numpy(dtype=object)
                scores = np.stack([(pred == c).astype(float) for c in classes], 1)
            value = compute(name, y, scores, [str(c) for c in classes], threshold)
        else:
            value = compute(
                name,
                group["label"].astype(float).to_numpy(),
                group["prediction"].astype(float).to_numpy(),
            )
        out[name] = value if math.isfinite(value) else None
    return out


def ingest_labels(
    ctx: Context, model: str, source: str, *, window: str = "1d"
) -> list[dict[str, Any]]:
    """Join, score per window and version, store and emit; return the rows."""
    import pandas as pd
    import sqlalchemy as sa

    from ..events import append_events

    spec = ctx.project.load_model(model)
    names = [m.name for m in spec.metrics]
    if not names:
        raise DataError(
            f"model '{model}' declares no metrics to compute",
            hint="add metrics: to its model.yaml",
        )
    labels = _label_frame(ctx, source)
    mapping = _target_mapping(ctx, spec)
    if mapping:
        labels["label"] = labels["label"].map(lambda v: mapping.get(str(v), v))
    predictions = _prediction_frame(ctx, model)
    joined = predictions.merge(
        labels[["request_id", "row", "label"]], on=["request_id", "row"], how="inner"
    )
    if joined.empty:
        raise NotFound(
            f"none of the {len(labels)} labels matches a prediction "
            f"event of '{model}' by request_id and row",
            hint="label events must carry the request_id the server "
            "returned (X-Request-ID)",
        )
    span = sources.parse_window(window)
    joined["window_start"] = joined["timestamp"].dt.floor(pd.Timedelta(span))
    created = utcnow()
    rows: list[dict[str, Any]] = []
    for (version, start), group in joined.groupby(["model_version", "window_start"]):
        end = start + pd.Timedelta(span)
        for metric, value in _score(names, group, spec.evaluation.threshold).items():
            rows.append(
                {
                    "model": model,
                    "model_version": version or None,
                    "window_start": start.isoformat(),
                    "window_end": end.isoformat(),
                    "metric": metric,
                    "value": value,
                    "rows": int(len(group)),
                    "created_at": created,
                }
            )
    t = tables.performance
    with ctx.store.begin() as conn:
        for row in rows:  # re-ingesting a window replaces it
            conn.execute(
                t.delete().where(
                    t.c.model == model,
                    t.c.model_version == row["model_version"],
                    t.c.window_start == row["window_start"],
                    t.c.metric == row["metric"],
                )
            )
        if rows:
            conn.execute(sa.insert(t), rows)
    append_events(
        ctx.settings,
        model,
        "performance_event",
        [
            {
                "event": "performance_event",
                "model": r["model"],
                "model_version": r["model_version"],
                "timestamp": created,
                "window_start": r["window_start"],
                "window_end": r["window_end"],
                "metric": r["metric"],
                "value": r["value"],
                "rows": r["rows"],
            }
            for r in rows
        ],
    )
    log.info(
        "%d labels joined to predictions of %s; %d performance rows",
        len(joined),
        model,
        len(rows),
    )
    return rows


def training_metric(ctx: Context, run_id: str | None, name: str) -> float | None:
    if not run_id:
        return None
    metrics = tracking.client(ctx.settings).get_run(run_id).data.metrics
    for key in TRAIN_METRIC_KEYS:
        value = metrics.get(key.format(m=name))
        if value is not None and math.isfinite(value):
            return float(value)
    return None


def performance_status(
    ctx: Context, spec: ModelSpec, run_id: str | None, version: str | None
) -> dict[str, Any] | None:
    """The latest labelled window of the primary metric vs training time;
    ``None`` when no labels were ingested."""
    import sqlalchemy as sa

    metric = spec.primary_metric
    if metric is None:
        return None
    t = tables.performance
    query = (
        sa.select(t)
        .where(
            t.c.model == spec.name, t.c.metric == metric.name, t.c.value.is_not(None)
        )
        .order_by(t.c.window_start.desc())
        .limit(1)
    )
    if version:
        query = query.where(t.c.model_version == version)
    with ctx.store.begin() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    trained = training_metric(ctx, run_id, metric.name)
    status = {
        "metric": metric.name,
        "current": row.value,
        "rows": row.rows,
        "window_start": row.window_start,
        "window_end": row.window_end,
        "training": trained,
        "decayed": False,
    }
    if trained is None or trained == 0:
        status["message"] = (
            f"{metric.name} {row.value:.4g} over the window "
            "from " + row.window_start + "; no training-time "
            "value to compare"
        )
        return status
    drop = (trained - row.value) / abs(trained)
    if metric.direction == "minimize":
        drop = -drop
    limit = spec.monitoring.performance_drop
    status.update(relative_drop=round(drop, 6), limit=limit, decayed=drop > limit)
    status["message"] = (
        f"{metric.name} {'fell' if drop > 0 else 'moved'} from {trained:.4g} at "
        f"training to {row.value:.4g} on {row.rows} labelled predictions "
        f"({row.window_start} to {row.window_end}): relative drop {drop:.1%}"
        f"{' > ' if drop > limit else ' <= '}monitoring.performance_drop "
        f"{limit:.1%}"
    )
    return status
