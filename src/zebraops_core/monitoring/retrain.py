"""``retrain_flow``: monitor, then (when recommended or forced) ingest fresh
data, train, evaluate and promote to ``promotion.retrain_target`` through
the gates.

Every step's outcome is printed by the CLI and recorded: a JSON record under
``<object_store>/retrains/<model>/<id>.json`` and an MLflow run tagged
``zebra.kind=retrain`` in the model's experiment. A failed gate leaves the
alias where it was (the promotion flow only moves it when the gates pass).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import tracking
from ..context import Context
from ..errors import ZebraError
from ..orchestration import flow, task
from ..state import utcnow
from .flow import TAG_KIND, new_id

log = logging.getLogger(__name__)

#: Final statuses of a retrain.
PROMOTED = "promoted"
NOT_NEEDED = "not-needed"
GATE_FAILED = "gate-failed"
FAILED = "failed"


def _step(
    steps: list[dict[str, Any]],
    name: str,
    fn: Callable[[], Any],
    describe: Callable[[Any], tuple],
    on_step: Callable[[dict[str, Any]], None] | None,
) -> Any:
    """Run one step, append its outcome, re-raise its error after recording."""
    started = time.perf_counter()
    record: dict[str, Any] = {"step": name, "status": "ok"}
    try:
        value = fn()
        described = describe(value)  # (detail, data[, status])
        record["detail"], record["data"] = described[0], described[1]
        if len(described) > 2:
            record["status"] = described[2]
        return value
    except Exception as exc:
        record["status"] = "failed"
        record["detail"] = (
            exc.message
            if isinstance(exc, ZebraError)
            else f"{type(exc).__name__}: {exc}"
        )
        if not isinstance(exc, ZebraError):
            log.debug("retrain step %s failed:\n%s", name, traceback.format_exc())
        raise
    finally:
        record["seconds"] = round(time.perf_counter() - started, 2)
        steps.append(record)
        if on_step:
            on_step(record)


@task("retrain-monitor")
def _monitor(
    project_dir: str, profile: str | None, model: str, current: str, window: str | None
) -> dict[str, Any]:
    from .flow import monitor_flow

    return monitor_flow.fn(project_dir, profile, model, current, window)


@task("retrain-ingest")
def _ingest(ctx: Context, spec: Any, source: str | None) -> dict[str, str]:
    from ..datasets import ingest

    ids: dict[str, str] = {}
    train_dataset = spec.dataset_ref("train").dataset
    for role in spec.datasets:
        dataset_id = spec.dataset_ref(role).dataset
        if dataset_id in ids:
            continue
        manifest, created = ingest(
            ctx, dataset_id, source=source if dataset_id == train_dataset else None
        )
        if dataset_id == train_dataset and not created:
            log.warning(
                "the source of %s is unchanged (manifest %s): retraining on the "
                "same data; pass --source for a new drop",
                dataset_id,
                manifest.id,
            )
        ids[dataset_id] = manifest.id
    return ids


@flow("retrain")
def retrain_flow(
    project_dir: str,
    profile: str | None,
    model_name: str,
    force: bool = False,
    source: str | None = None,
    current: str = "serving-log",
    window: str | None = None,
    on_step: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Monitor -> ingest -> train -> eval -> promote; return the record."""
    ctx = Context(project_dir=Path(project_dir), profile_name=profile)
    spec = ctx.project.load_model(model_name)
    target = spec.promotion.retrain_target
    record: dict[str, Any] = {
        "id": new_id(spec.name),
        "model": spec.name,
        "started_at": utcnow(),
        "force": force,
        "source": source,
        "target": target,
        "steps": [],
    }
    steps = record["steps"]
    try:
        # 1. Monitor: is a retrain recommended?
        try:
            checked = _step(
                steps,
                "monitor",
                lambda: _monitor(project_dir, profile, spec.name, current, window),
                lambda r: (
                    ("retrain recommended: " + "; ".join(r["reasons"]))
                    if r["recommendation"]
                    else f"no retrain recommended (drift share {r['drift_share']:.2f})",
                    {
                        "monitor_id": r["id"],
                        "report_uri": r["report_uri"],
                        "recommendation": r["recommendation"],
                    },
                ),
                on_step,
            )
            recommended = bool(checked["recommendation"])
        except Exception:
            if not force:
                raise
            recommended = False
        if not (recommended or force):
            record["status"] = NOT_NEEDED
            return record

        # 2. Ingest fresh data
        manifest_ids = _step(
            steps,
            "ingest",
            lambda: _ingest(ctx, spec, source),
            lambda ids: (", ".join(ids.values()), {"manifests": ids}),
            on_step,
        )

        # 3. Train
        from ..training import train

        outcome = _step(
            steps,
            "train",
            lambda: train(ctx, spec.name, manifest_ids=manifest_ids, echo=False),
            lambda o: (
                f"run {o.run_id}"
                + (
                    f" (version {o.best.model_version})"
                    if o.best and o.best.model_version
                    else ""
                ),
                {"run_id": o.run_id, "metrics": dict(o.best.metrics) if o.best else {}},
            ),
            on_step,
        )
        if not outcome.run_id:
            raise ZebraError("training produced no run to promote")
        record["run_id"] = outcome.run_id

        # 4. Evaluate
        from ..evaluation import evaluate

        _step(
            steps,
            "eval",
            lambda: evaluate(ctx, spec.name, outcome.run_id),
            lambda e: (
                ", ".join(
                    f"{k}={v:.4g}"
                    for k, v in e.metrics.items()
                    if isinstance(v, (int, float))
                ),
                {"metrics": dict(e.metrics)},
            ),
            on_step,
        )

        # 5. Promote through the gates
        from ..promotion import promote

        promoted = _step(
            steps,
            "promote",
            lambda: promote(
                ctx,
                spec.name,
                outcome.run_id,
                target,
                reason="zebra retrain" + (" --force" if force else ""),
            ),
            lambda p: (
                _promotion_detail(p),
                {
                    "passed": p.passed,
                    "promoted": p.promoted,
                    "version": p.version,
                    "from_version": p.from_version,
                    "verdicts": [
                        {"gate": v.gate, "passed": v.passed, "reason": v.reason}
                        for v in p.verdicts
                    ],
                },
                "ok" if p.promoted else "failed",
            ),
            on_step,
        )
        if not promoted.promoted:
            record["status"] = GATE_FAILED
        else:
            record["status"] = PROMOTED
        return record
    except Exception as exc:
        record["status"] = FAILED
        record["error"] = (
            exc.message
            if isinstance(exc, ZebraError)
            else f"{type(exc).__name__}: {exc}"
        )
        return record
    finally:
        record["finished_at"] = utcnow()
        _record(ctx, spec, record)


def _promotion_detail(outcome: Any) -> str:
    gates = ", ".join(
        f"{v.gate} {'passed' if v.passed else 'FAILED'}" for v in outcome.verdicts
    )
    if outcome.promoted:
        return (
            f"{outcome.alias} -> version {outcome.version} "
            f"(was {outcome.from_version or 'none'}); {gates}"
        )
    failed = "; ".join(
        f"{v.gate}: {v.reason}" for v in outcome.verdicts if not v.passed
    )
    return (
        f"refused, {outcome.alias} stays at version "
        f"{outcome.from_version or 'none'}: {failed or outcome.message}"
    )


def _record(ctx: Context, spec: Any, record: dict[str, Any]) -> None:
    """The JSON record in the object store and a zebra.kind=retrain run."""
    text = json.dumps(record, indent=2, default=str)
    uri = ctx.settings.object_uri("retrains", spec.name, f"{record['id']}.json")
    try:
        if "://" not in uri:
            path = Path(uri)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(text)
            os.replace(tmp, path)
        else:
            import fsspec

            with fsspec.open(uri, "w", **ctx.settings.storage_options) as fh:
                fh.write(text)
        record["record_uri"] = uri
    except Exception as exc:
        log.warning("could not write the retrain record %s: %s", uri, exc)
    try:
        from mlflow.entities import RunTag

        client = tracking.client(ctx.settings)
        experiment_id = tracking.ensure_experiment(ctx.settings, spec.experiment_name)
        run = client.create_run(
            experiment_id,
            run_name=f"retrain-{record['id'][-20:]}",
            tags={TAG_KIND: "retrain", tracking.TAG_MODEL: spec.name},
        )
        tags = [
            RunTag("zebra.retrain.status", record.get("status", "")),
            RunTag("zebra.retrain.force", str(record["force"]).lower()),
        ]
        tags += [
            RunTag(f"zebra.retrain.step.{s['step']}", s["status"])
            for s in record["steps"]
        ]
        if record.get("run_id"):
            tags.append(RunTag("zebra.retrain.trained_run", record["run_id"]))
        client.log_batch(run.info.run_id, tags=tags)
        with tempfile.TemporaryDirectory(prefix="zebra-retrain-") as tmp:
            path = Path(tmp, "retrain.json")
            path.write_text(json.dumps(record, indent=2, default=str))
            client.log_artifact(run.info.run_id, str(path), artifact_path="retrain")
        client.set_terminated(
            run.info.run_id,
            "FINISHED" if record.get("status") in (PROMOTED, NOT_NEEDED) else "FAILED",
        )
        record["mlflow_run_id"] = run.info.run_id
    except Exception as exc:
        log.warning("could not log the retrain run to MLflow: %s", exc)


def retrain(
    ctx: Context,
    model_name: str,
    *,
    force: bool = False,
    source: str | None = None,
    current: str = "serving-log",
    window: str | None = None,
    on_step: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run :func:`retrain_flow` (through Prefect when configured)."""
    ctx.project.load_model(model_name)  # a missing model fails before anything
    if ctx.settings.prefect_api_url:
        on_step = None  # a callback cannot cross into a Prefect flow's params
    return retrain_flow.run_in(
        ctx,
        str(ctx.project.root),
        ctx.profile_name,
        model_name,
        force,
        source,
        current,
        window,
        on_step,
    )
