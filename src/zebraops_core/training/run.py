"""One training run: MLflow run, config, job, artifacts, registration.

:func:`execute_run` is the step both a single ``zebra train`` and each grid
child go through. Whatever goes wrong after the MLflow run exists marks it
FAILED (with the error and the tail of stderr as the ``zebra.error`` tag
and the ``logs/error.txt`` artifact), fires ``on_run_error`` and registers
nothing.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import RunFailed, ZebraError
from ..interfaces import JobResult, RunContext, RunResult
from ..plugins import call_lifecycle
from .contract import write_config

if TYPE_CHECKING:
    from ..context import Context
    from ..interfaces import ComputeAdapter, Runner
    from ..specs import Manifest, ModelSpec

log = logging.getLogger(__name__)

TAG_ERROR = "zebra.error"
TAG_MODEL_VERSION = "zebra.model_version"
TAG_WORKDIR = "zebra.workdir"
#: Longest error text stored in a tag (MLflow allows 8,000 characters).
MAX_TAG = 5000
_print_lock = threading.Lock()


@attrs.define
class Plan:
    """Everything resolved before any run starts, shared by grid children."""

    ctx: Context
    spec: ModelSpec
    model_dir: Path
    runner_name: str
    runner: Runner
    adapter: ComputeAdapter
    manifests: dict[str, Manifest]
    tags: dict[str, str]
    experiment_name: str
    mlflow: Any  # training.flow.TrackingHandle: client + experiment id
    extra_env: dict[str, str] = attrs.field(factory=dict)
    echo: bool = True
    # Work folders whose job interpreter is already pre-warmed.
    reserved: list[Path] = attrs.field(factory=list)

    @property
    def manifest_ids(self) -> dict[str, str]:
        return {role: m.id for role, m in self.manifests.items()}


def _echo(prefix: str, line: str) -> None:
    with _print_lock:
        sys.stderr.write(prefix + line)
        sys.stderr.flush()


def new_workdir(ctx: Context) -> Path:
    """A fresh folder for one run's config, outputs and logs."""
    from datetime import datetime, timezone

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return ctx.project.state_dir / "runs" / f"{stamp}-{uuid.uuid4().hex[:8]}"


def _context(
    plan: Plan,
    run_id: str,
    workdir: Path,
    params: Mapping[str, Any],
    parent_run_id: str | None,
) -> RunContext:
    return RunContext(
        model=plan.spec,
        model_dir=plan.model_dir,
        project_dir=plan.ctx.project.root,
        run_id=run_id,
        experiment_name=plan.experiment_name,
        tracking_uri=plan.ctx.settings.tracking_uri,
        config_path=workdir / "config.json",
        output_dir=workdir / "outputs",
        manifests=dict(plan.manifests),
        params=dict(params),
        profile=plan.ctx.profile,
        parent_run_id=parent_run_id,
        extra_env=dict(plan.extra_env),
    )


def prewarm(
    ctx: Context,
    spec: ModelSpec,
    model_dir: Path,
    runner: Runner,
    adapter: ComputeAdapter,
    workdir: Path,
    manifests: Mapping[str, Manifest] | None = None,
) -> None:
    """Let the adapter start the job's interpreter before the run exists
    (argv and paths are final; the environment comes with ``submit``).
    An optimization only: any failure leaves the job to start cold."""
    context = RunContext(
        model=spec,
        model_dir=model_dir,
        project_dir=ctx.project.root,
        run_id="pending",
        experiment_name=spec.experiment_name,
        tracking_uri=ctx.settings.tracking_uri,
        config_path=workdir / "config.json",
        output_dir=workdir / "outputs",
        manifests=dict(manifests or {}),
        params={},
        profile=ctx.profile,
    )
    try:
        adapter.prewarm(runner.prepare(context))
    except Exception:
        log.debug("pre-warming failed", exc_info=True)


def execute_run(
    plan: Plan,
    params: Mapping[str, Any],
    *,
    run_name: str | None = None,
    parent_run_id: str | None = None,
    label: str = "",
    register: bool = True,
    extra_tags: Mapping[str, str] | None = None,
) -> RunResult:
    """Create the MLflow run, run the job, log outputs, register the model."""
    # Start the job's interpreter while the MLflow run is created (the
    # first run's was started when the plan was made).
    if plan.reserved:
        workdir = plan.reserved.pop(0)
    else:
        workdir = new_workdir(plan.ctx)
        prewarm(
            plan.ctx,
            plan.spec,
            plan.model_dir,
            plan.runner,
            plan.adapter,
            workdir,
            plan.manifests,
        )
    from mlflow.entities import Param

    client = plan.mlflow.client

    tags = {**plan.tags, **(extra_tags or {}), TAG_WORKDIR: str(workdir)}
    if parent_run_id:
        tags["mlflow.parentRunId"] = parent_run_id
    run = client.create_run(plan.mlflow.experiment_id, tags=tags, run_name=run_name)
    run_id = run.info.run_id
    context = _context(plan, run_id, workdir, params, parent_run_id)
    handle = None
    result: JobResult | None = None
    try:
        client.log_batch(
            run_id, params=[Param(str(k), str(v)[:6000]) for k, v in params.items()]
        )
        write_config(context)
        job = plan.runner.prepare(context)
        call_lifecycle("before_run", context=context)
        plan.adapter.prepare(job)
        handle = plan.adapter.submit(job)
        prefix = f"[{label}] " if label else ""
        log.info("run %s started (%s)", run_id, job.name)
        for line in plan.adapter.stream_logs(handle):
            if plan.echo:
                _echo(prefix, line)
        result = plan.adapter.wait(handle)
        plan.adapter.fetch_outputs(handle, context.output_dir)
        plan.runner.finalize(context, result)
        model_dir = _log_outputs(client, run_id, context, job.log_path)
        model_uri = find_model(client, plan, run_id, model_dir)
        metrics = dict(client.get_run(run_id).data.metrics)
        version = None
        if register:
            version = register_model(client, plan, run_id, model_uri)
        client.set_terminated(run_id, "FINISHED")
    except BaseException as exc:
        if handle is not None and isinstance(exc, KeyboardInterrupt):
            plan.adapter.cancel(handle)
        _mark_failed(client, context, exc, result)
        call_lifecycle("on_run_error", context=context, error=exc)
        if isinstance(exc, RunFailed) and result is not None and result.exit_code:
            raise _job_failure(exc, result, plan.echo, run_id) from exc
        if isinstance(exc, (ZebraError, KeyboardInterrupt)):
            raise
        raise RunFailed(
            f"run {run_id} failed: {type(exc).__name__}: {exc}",
            hint="the run is marked FAILED in MLflow; see its zebra.error tag",
        ) from exc
    outcome = RunResult(
        run_id=run_id,
        status="FINISHED",
        metrics=metrics,
        model_uri=model_uri,
        model_version=version,
        params=dict(params),
    )
    call_lifecycle("after_run", context=context, result=outcome)
    return outcome


def _log_outputs(
    client: Any, run_id: str, context: RunContext, log_path: Path
) -> Path | None:
    """Log the output folder under ``outputs/`` (an MLflow model folder in
    it under ``model``), the job log under ``logs/`` and the config under
    ``zebra/``. Return the model folder found, if any."""
    out = context.output_dir
    model_dir = None
    if out.is_dir():
        candidates = [out] + sorted(p for p in out.iterdir() if p.is_dir())
        model_dir = next((p for p in candidates if (p / "MLmodel").is_file()), None)
        if model_dir is not None:
            client.log_artifacts(run_id, str(model_dir), "model")
        for entry in sorted(out.iterdir()):
            if model_dir is not None and entry in (model_dir, *model_dir.parents):
                continue
            if entry.is_dir():
                client.log_artifacts(run_id, str(entry), f"outputs/{entry.name}")
            else:
                client.log_artifact(run_id, str(entry), "outputs")
    if log_path.is_file():
        client.log_artifact(run_id, str(log_path), "logs")
    if context.config_path.is_file():
        client.log_artifact(run_id, str(context.config_path), "zebra")
    return model_dir


def find_model(client: Any, plan: Plan, run_id: str, model_dir: Path | None) -> str:
    """The URI of the model the script logged (``name="model"`` preferred)
    or wrote to its output folder; RunFailed when there is none."""
    if model_dir is not None:
        return f"runs:/{run_id}/model"
    found = client.search_logged_models(
        experiment_ids=[plan.mlflow.experiment_id],
        filter_string=f"source_run_id = '{run_id}'",
    )
    if found:
        named = [m for m in found if m.name == "model"] or list(found)
        return f"models:/{named[0].model_id}"
    raise RunFailed(
        f"{plan.spec.entrypoint} finished but logged no model in run {run_id}",
        hint="log it with mlflow.sklearn.log_model(model, name='model', ...) or "
        "save an MLflow model (a folder with an MLmodel file) into "
        "$ZEBRA_OUTPUT_DIR",
    )


def register_model(client: Any, plan: Plan, run_id: str, model_uri: str) -> str:
    """Register ``model_uri`` as a new version of the model ``<name>``, with
    the run's lineage tags on the version."""
    import mlflow

    name = plan.spec.name
    tags = {**plan.tags, "zebra.run_id": run_id}
    # MLflow prints "Successfully registered..." on stderr itself; ZebraOps
    # reports the version its own way, so keep that line for --debug only.
    # Registration runs after every job ended: no other output is swallowed.
    chatter = io.StringIO()
    with contextlib.redirect_stderr(chatter):
        version = mlflow.register_model(model_uri, name, tags=tags)
    log.debug("mlflow: %s", chatter.getvalue().strip())
    client.set_tag(run_id, TAG_MODEL_VERSION, str(version.version))
    log.info("registered %s version %s from %s", name, version.version, model_uri)
    return str(version.version)


def _job_failure(
    exc: RunFailed, result: JobResult, echoed: bool, run_id: str
) -> RunFailed:
    """The error of a job that exited non-zero: its stderr tail unless its
    output was just shown, and where the whole log and the run are."""
    message = exc.message
    if not echoed and result.stderr_tail and result.stderr_tail not in message:
        message += ":\n" + result.stderr_tail
    where = f"the job's log is {result.log_path}; run {run_id} is marked FAILED"
    return RunFailed(message, hint=f"{exc.hint}; {where}" if exc.hint else where)


def _mark_failed(
    client: Any, context: RunContext, exc: BaseException, result: JobResult | None
) -> None:
    """FAILED status, the error as a tag and an artifact; never raises."""
    message = str(exc) or type(exc).__name__
    if result is not None and result.stderr_tail and result.stderr_tail not in message:
        message += "\n--- stderr (tail) ---\n" + result.stderr_tail
    try:
        client.set_tag(context.run_id, TAG_ERROR, message[-MAX_TAG:])
        client.log_text(context.run_id, message + "\n", "logs/error.txt")
        log_path = context.output_dir.parent / "logs" / "train.log"
        if log_path.is_file():
            client.log_artifact(context.run_id, str(log_path), "logs")
        # What the job left (the executed notebook shows the failing cell).
        if context.output_dir.is_dir() and any(context.output_dir.iterdir()):
            client.log_artifacts(context.run_id, str(context.output_dir), "outputs")
        client.set_terminated(context.run_id, "FAILED")
    except Exception:
        log.warning("could not mark run %s as failed", context.run_id, exc_info=True)
