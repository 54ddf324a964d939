"""``eval_flow``: score a run's model on its validation (and test) data,
log ``eval.<metric>`` to the run with a JSON and an HTML report.

Metrics of the valid split are logged as ``eval.<metric>`` (the numbers
gates use); those of the test split, when the model declares one, as
``eval.test.<metric>``. The run is tagged ``zebra.eval.<role>`` with the
manifest each role was scored on, so gates can check lineage.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import tracking
from ..errors import ConfigError, NotFound
from ..orchestration import flow, task
from . import data as d
from . import metrics as m

if TYPE_CHECKING:
    from mlflow.entities import Run

    from ..context import Context
    from ..specs import ModelSpec

log = logging.getLogger(__name__)

#: Prefix of the run metrics an evaluation logs.
METRIC_PREFIX = "eval."
#: Run tags an evaluation sets: + valid | test (manifest id or file), at, dataset.
TAG_EVAL_PREFIX = "zebra.eval."
TAG_EVAL_AT = TAG_EVAL_PREFIX + "at"
TAG_EVAL_DATASET = TAG_EVAL_PREFIX + "dataset"
#: Artifact folder of the reports.
ARTIFACT_DIR = "eval"
#: + after ``zebra.eval.<role>``: the split of that manifest scored.
SPLIT_SUFFIX = ".split"
FILE_PREFIX = "file:"


@attrs.frozen
class EvalResult:
    model: str
    run_id: str
    task: str
    #: Metrics of the valid split (what gates read), by name.
    metrics: Mapping[str, float | None]
    #: role -> metrics, for every split scored.
    splits: Mapping[str, Mapping[str, float | None]]
    #: role -> manifest id (or ``file:<uri>``) scored.
    sources: Mapping[str, str]
    model_version: str | None = None
    report_uri: str | None = None
    html_uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


# -- Run lookups -------------------------------------------------------------


def get_run(client: Any, run_id: str) -> Run:
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise NotFound(
            f"no MLflow run '{run_id}'",
            hint="run `zebra list runs --model MODEL` to see run ids",
        ) from None
    best = run.data.tags.get(tracking.TAG_BEST_RUN)
    if best:
        raise ConfigError(
            f"run {run_id} is the parent run of a grid; its model is in the "
            f"best child run {best}",
            hint=f"pass --run {best}",
        )
    return run


def check_run_model(run: Run, model_name: str) -> None:
    owner = run.data.tags.get(tracking.TAG_MODEL)
    if owner and owner != model_name:
        raise ConfigError(
            f"run {run.info.run_id} belongs to model '{owner}', not '{model_name}'",
            hint=f"use `zebra eval {owner} --run {run.info.run_id}`",
        )


def run_version(client: Any, model_name: str, run_id: str) -> str | None:
    """The registered version of ``model_name`` made from ``run_id``."""
    versions = client.search_model_versions(
        f"name = '{model_name}' and run_id = '{run_id}'"
    )
    if not versions:
        return None
    return str(max(int(v.version) for v in versions))


def eval_sources(run: Run) -> dict[str, str]:
    """role -> what the last evaluation scored, from the run's tags."""
    tags = run.data.tags
    return {
        role: tags[TAG_EVAL_PREFIX + role]
        for role in d.EVAL_ROLES
        if TAG_EVAL_PREFIX + role in tags
    }


def eval_metrics(run: Run) -> dict[str, float]:
    """The valid-split metrics of the last evaluation (prefix removed)."""
    out = {}
    for key, value in run.data.metrics.items():
        if not key.startswith(METRIC_PREFIX):
            continue
        name = key[len(METRIC_PREFIX) :]
        if "." not in name:
            out[name] = value
    return out


def source_of_run(ctx: Context, spec: ModelSpec, run: Run, role: str) -> d.EvalSource:
    """What the run's last evaluation scored for ``role``, to score again."""
    label = eval_sources(run).get(role)
    if label is None:
        raise NotFound(f"run {run.info.run_id} has no evaluation of {role}")
    split = run.data.tags.get(TAG_EVAL_PREFIX + role + SPLIT_SUFFIX) or (
        spec.dataset_ref(role).split
    )
    if label.startswith(FILE_PREFIX):
        return d.resolve_sources(ctx, spec, run.data.tags, label[len(FILE_PREFIX) :])[0]
    return d.resolve_sources(ctx, spec, run.data.tags, f"{label}:{split}")[0]


def is_evaluated(run: Run) -> bool:
    return TAG_EVAL_AT in run.data.tags and bool(eval_metrics(run))


# -- Scoring -----------------------------------------------------------------


@attrs.define
class Scored:
    source: d.EvalSource
    frame: Any
    y: Any
    output: Any
    dropped: int


def score_source(ctx: Context, model: d.LoadedModel, source: d.EvalSource) -> Scored:
    frame = d.read_frame(ctx, source)
    labelled, y, dropped = d.split_xy(frame, source, model)
    output = model.predict(labelled)
    return Scored(source, labelled, y, output, dropped)


def _declared(spec: ModelSpec, task_kind: str) -> list[str]:
    names = m.check_declared([x.name for x in spec.metrics], task_kind)
    for metric in spec.metrics:
        known = m.METRICS.get(metric.name)
        if known and metric.name in names and metric.direction != known.direction:
            log.warning(
                "metric %s is declared %s but is naturally %sd",
                metric.name,
                metric.direction,
                known.direction,
            )
    return names


@task("eval-score")
def score_run(
    project_dir: str,
    profile: str | None,
    model_name: str,
    run_id: str,
    dataset: str | None,
    out_dir: str,
) -> dict[str, Any]:
    """Score every source and write report.json, report.html and
    predictions.parquet to ``out_dir``; return the report."""
    import pandas as pd

    from ..context import Context
    from ..state import utcnow
    from .report import render_html, split_details

    ctx = Context(project_dir=Path(project_dir), profile_name=profile)
    spec = ctx.project.load_model(model_name)
    client = tracking.client(ctx.settings)
    run = get_run(client, run_id)
    check_run_model(run, model_name)
    sources = d.resolve_sources(ctx, spec, run.data.tags, dataset)
    model = d.load_model(f"runs:/{run_id}/model")
    names = _declared(spec, model.task)
    threshold = spec.evaluation.threshold
    report: dict[str, Any] = {
        "model": model_name,
        "run_id": run_id,
        "model_version": run_version(client, model_name, run_id),
        "created_at": utcnow(),
        "task": model.task,
        "classes": None if model.classes is None else [str(c) for c in model.classes],
        "metrics_declared": [attrs.asdict(x) for x in spec.metrics],
        "dataset_argument": dataset,
        "splits": {},
    }
    predictions = []
    for source in sources:
        started = time.perf_counter()
        scored = score_source(ctx, model, source)
        details = split_details(
            model.task,
            scored.frame,
            scored.y,
            scored.output,
            model.classes,
            threshold,
            names,
            spec.evaluation.segments,
        )
        details.update(
            source=source.describe(),
            manifest_id=source.manifest_id,
            dataset_id=source.dataset_id,
            split=source.split,
            uri=source.uri,
            target=source.target,
            dropped_unlabelled=scored.dropped,
        )
        report["splits"][source.role] = details
        log.info(
            "scored %d rows of %s in %.2fs",
            len(scored.y),
            source.describe(),
            time.perf_counter() - started,
        )
        rows = pd.DataFrame(
            {
                "role": source.role,
                "row": range(len(scored.y)),
                "y_true": pd.Series(scored.y, dtype=object).astype(str),
            }
        )
        if model.task == m.CLASSIFICATION:
            for i, cls in enumerate(model.classes or []):
                rows[f"p_{cls}"] = scored.output[:, i]
        else:
            rows["y_true"] = scored.y.astype(float)
            rows["prediction"] = scored.output
        predictions.append(rows)
    out = Path(out_dir)
    _write(out / "report.json", json.dumps(report, indent=2, default=str))
    _write(out / "report.html", render_html(report))
    if predictions:
        pd.concat(predictions, ignore_index=True).to_parquet(
            out / "predictions.parquet", index=False
        )
    return report


def _write(path: Path, text: str) -> None:
    """Atomic write: a temp file in the same folder, then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@task("eval-log")
def log_run(
    project_dir: str,
    profile: str | None,
    run_id: str,
    report: dict[str, Any],
    out_dir: str,
) -> None:
    """Log metrics, tags and the report files to the run."""
    from mlflow.entities import Metric, RunTag

    from ..context import Context

    ctx = Context(project_dir=Path(project_dir), profile_name=profile)
    client = tracking.client(ctx.settings)
    now = int(time.time() * 1000)
    metrics = []
    tags = [
        RunTag(TAG_EVAL_AT, report["created_at"]),
        RunTag(TAG_EVAL_DATASET, report.get("dataset_argument") or ""),
    ]
    for role, split in report["splits"].items():
        prefix = METRIC_PREFIX if role == "valid" else f"{METRIC_PREFIX}{role}."
        for name, value in split["metrics"].items():
            if value is not None:
                metrics.append(Metric(prefix + name, value, now, 0))
        label = split["manifest_id"] or f"{FILE_PREFIX}{split['uri']}"
        tags.append(RunTag(TAG_EVAL_PREFIX + role, label))
        tags.append(RunTag(TAG_EVAL_PREFIX + role + SPLIT_SUFFIX, split["split"]))
    client.log_batch(run_id, metrics=metrics, tags=tags)
    run = client.get_run(run_id)
    for role in d.EVAL_ROLES:  # a role not scored this time must not linger
        for key in (TAG_EVAL_PREFIX + role, TAG_EVAL_PREFIX + role + SPLIT_SUFFIX):
            if role not in report["splits"] and key in run.data.tags:
                client.delete_tag(run_id, key)
    for name in ("report.json", "report.html", "predictions.parquet"):
        path = Path(out_dir) / name
        if path.is_file():
            client.log_artifact(run_id, str(path), artifact_path=ARTIFACT_DIR)


@flow("eval")
def eval_flow(
    project_dir: str,
    profile: str | None,
    model_name: str,
    run_id: str,
    dataset: str | None = None,
) -> dict[str, Any]:
    """Evaluate a run and log the results; return the report's summary."""
    with tempfile.TemporaryDirectory(prefix="zebra-eval-") as out_dir:
        report = score_run(project_dir, profile, model_name, run_id, dataset, out_dir)
        log_run(project_dir, profile, run_id, report, out_dir)
    return report


def evaluate(
    ctx: Context, model_name: str, run_id: str, *, dataset: str | None = None
) -> EvalResult:
    """Evaluate ``run_id`` of ``model_name``; see the module docstring."""
    report = eval_flow.run_in(
        ctx,
        str(ctx.project.root),
        ctx.profile_name,
        model_name,
        run_id,
        dataset,
    )
    return result_from_report(report, ctx)


def result_from_report(report: Mapping[str, Any], ctx: Context) -> EvalResult:
    splits = {role: dict(s["metrics"]) for role, s in report["splits"].items()}
    sources = {
        role: s["manifest_id"] or f"{FILE_PREFIX}{s['uri']}"
        for role, s in report["splits"].items()
    }
    run = tracking.client(ctx.settings).get_run(report["run_id"])
    base = run.info.artifact_uri.rstrip("/") + "/" + ARTIFACT_DIR
    return EvalResult(
        model=report["model"],
        run_id=report["run_id"],
        task=report["task"],
        metrics=splits.get("valid", {}),
        splits=splits,
        sources=sources,
        model_version=report.get("model_version"),
        report_uri=f"{base}/report.json",
        html_uri=f"{base}/report.html",
    )
