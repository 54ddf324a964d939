"""``train_flow``: resolve inputs, run one training run or a grid, register.

The flow takes only plain values (model name, manifest ids, profile,
hyperparameters) so it runs the same as a Prefect flow and in-process.

Grid runs: every point of ``hyperparams.grid`` is a child run under one
parent run, at most ``max_parallel`` at a time (default: the number of
cores). Each child's job is its own process (the compute adapter's); they
are driven by Prefect's ThreadPoolTaskRunner when a Prefect API is
configured, by a thread pool in embedded mode. Only the best child (by the
primary metric) is registered as a model version; the parent run carries
the best child's metrics, the ``zebra.best_run`` tag and the table of all
points (``grid.json``), so the registry holds one version per grid, not one
per point.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .. import tracking
from ..errors import ConfigError, NotFound, RunFailed, ZebraError
from ..interfaces import RunResult
from ..orchestration import flow, map_parallel, task
from ..plugins import get_implementation
from . import lineage
from .params import describe, expand_grid, undeclared
from .run import Plan, execute_run, new_workdir, prewarm, register_model

log = logging.getLogger(__name__)

TAG_BEST_RUN = tracking.TAG_BEST_RUN
TAG_GRID = "zebra.grid"


@attrs.frozen
class TrainOutcome:
    """What ``zebra train`` did: one run, or a grid's parent and children."""

    model: str
    best: RunResult | None
    runs: tuple[RunResult, ...]
    parent_run_id: str | None = None
    primary_metric: str | None = None
    direction: str = "maximize"
    grid_keys: tuple[str, ...] = ()
    failures: tuple[dict[str, Any], ...] = ()

    @property
    def run_id(self) -> str | None:
        return self.best.run_id if self.best else None

    def to_dict(self) -> dict[str, Any]:
        def one(r: RunResult) -> dict[str, Any]:
            return {
                "run_id": r.run_id,
                "status": r.status,
                "metrics": dict(r.metrics),
                "params": dict(r.params),
                "model_uri": r.model_uri,
                "model_version": r.model_version,
            }

        return {
            "model": self.model,
            "parent_run_id": self.parent_run_id,
            "best_run_id": self.run_id,
            "model_version": self.best.model_version if self.best else None,
            "primary_metric": self.primary_metric,
            "runs": [one(r) for r in self.runs],
            "failures": list(self.failures),
        }


class TrackingHandle:
    """MLflow imported and the experiment ensured in a background thread,
    while the flow resolves everything else."""

    def __init__(self, settings: Any, experiment_name: str) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._open,
            args=(settings, experiment_name),
            daemon=True,
            name="zebra-mlflow",
        )
        self._thread.start()

    def _open(self, settings: Any, experiment_name: str) -> None:
        try:
            self._client = tracking.client(settings)
            self._experiment_id = tracking.ensure_experiment(settings, experiment_name)
        except BaseException as exc:  # re-raised by .client
            self._error = exc

    def ready(self) -> TrackingHandle:
        self._thread.join()
        if self._error is not None:
            raise ConfigError(
                f"cannot open the MLflow tracking store: "
                f"{type(self._error).__name__}: {self._error}",
                hint="check tracking_uri in the profile (or ZEBRA_TRACKING_URI)",
            ) from self._error
        return self

    @property
    def client(self) -> Any:
        return self.ready()._client

    @property
    def experiment_id(self) -> str:
        return self.ready()._experiment_id


# -- Inputs ---------------------------------------------------------------


def resolve_manifests(
    ctx: Any, spec: Any, *, no_ingest: bool, manifest_ids: Mapping[str, str] | None
) -> dict[str, Any]:
    """Role -> manifest: given ids (keyed by role or dataset id), else the
    latest manifest of each dataset, ingesting when there is none."""
    from .. import datasets

    given = dict(manifest_ids or {})
    by_dataset: dict[str, Any] = {}
    out = {}
    for role in spec.datasets:
        dataset_id = spec.dataset_ref(role).dataset
        ctx.project.dataset_path(dataset_id)  # NotFound names the known ids
        if dataset_id not in by_dataset:
            wanted = given.get(role) or given.get(dataset_id)
            if wanted:
                manifest = datasets.load_manifest_by_id(ctx, wanted)
            else:
                try:
                    manifest = datasets.latest_manifest(ctx, dataset_id)
                except NotFound:
                    if no_ingest:
                        raise ConfigError(
                            f"dataset '{dataset_id}' of model '{spec.name}' has no "
                            "manifest and --no-ingest was given",
                            hint=f"run `zebra ingest {dataset_id}` first",
                        ) from None
                    log.info("no manifest of %s yet: ingesting", dataset_id)
                    manifest, _ = datasets.ingest(ctx, dataset_id)
            by_dataset[dataset_id] = manifest
        manifest = by_dataset[dataset_id]
        split = spec.dataset_ref(role).split
        if split not in manifest.splits:
            raise ConfigError(
                f"model '{spec.name}' reads split '{split}' of {manifest.id} for "
                f"{role}, which has splits {', '.join(sorted(manifest.splits))}",
                hint="fix 'datasets' in model.yaml or the dataset's splits",
            )
        out[role] = manifest
    return out


@task("resolve")
def build_plan(
    ctx: Any,
    model_name: str,
    *,
    no_ingest: bool,
    manifest_ids: Mapping[str, str] | None,
    entrypoint: str | None,
    allow_untagged_notebook: bool,
    echo: bool,
    grid_overrides: Mapping[str, Any] | None = None,
    max_parallel: int | None = None,
) -> Plan:
    """Spec, runner, adapter, manifests and lineage: everything that can be
    checked before an MLflow run exists. ``grid_overrides`` (a grid run's
    ``--params``) sizes the first wave of jobs started early."""
    from ..specs import spec_hash

    spec = ctx.project.load_model(model_name)
    settings = ctx.settings  # unknown profile: ConfigError here
    loaded_hash = spec_hash(spec)
    if entrypoint:
        kind = "notebook" if entrypoint.endswith(".ipynb") else "python"
        spec = attrs.evolve(spec, entrypoint=entrypoint, type=kind)
    if allow_untagged_notebook:
        spec = attrs.evolve(
            spec,
            notebook=attrs.evolve(spec.notebook, allow_untagged_parameters=True),
        )
    model_dir = ctx.project.models_dir / model_name
    runner = get_implementation("runner", spec.type)()
    runner.check(spec, model_dir)
    adapter_cls = get_implementation("compute_adapter", settings.profile.compute)
    adapter = adapter_cls(settings.profile.compute_options)
    # The first jobs' interpreters start now, while the rest resolves.
    warm = 1
    if grid_overrides is not None:
        with contextlib.suppress(ConfigError):  # _run_grid reports it
            points = expand_grid(
                spec.hyperparams.defaults, spec.hyperparams.grid, grid_overrides
            )
            warm = min(max_parallel or default_parallelism(), len(points))
    reserved = [new_workdir(ctx) for _ in range(max(1, warm))]
    for workdir in reserved:
        prewarm(ctx, spec, model_dir, runner, adapter, workdir)
    # MLflow loads in a thread meanwhile.
    handle = TrackingHandle(settings, spec.experiment_name)
    try:
        manifests = resolve_manifests(
            ctx, spec, no_ingest=no_ingest, manifest_ids=manifest_ids
        )
        tags = lineage.lineage_tags(
            model=spec.name,
            spec_hash=loaded_hash,
            git=lineage.git_info(ctx.project.root),
            manifest_ids={role: m.id for role, m in manifests.items()},
            env=lineage.env_digest(ctx.project.state_dir / "cache"),
            profile=ctx.profile,
            runner=spec.type,
        )
    except BaseException:
        adapter.discard_warm()
        raise
    extra_env = {}
    if os.environ.get("MLFLOW_S3_ENDPOINT_URL"):
        extra_env["MLFLOW_S3_ENDPOINT_URL"] = os.environ["MLFLOW_S3_ENDPOINT_URL"]
    return Plan(
        ctx=ctx,
        spec=spec,
        model_dir=model_dir,
        runner_name=spec.type,
        runner=runner,
        adapter=adapter,
        manifests=manifests,
        tags=tags,
        experiment_name=spec.experiment_name,
        mlflow=handle,
        extra_env=extra_env,
        echo=echo,
        reserved=reserved,
    )


@task("train-run")
def train_run(plan: Plan, params: dict[str, Any]) -> RunResult:
    """One run (no grid): created, executed, registered."""
    return execute_run(plan, params, run_name=None)


@task("grid-point")
def grid_point(item: tuple[Plan, str, int, dict[str, Any], tuple[str, ...]]) -> Any:
    """One grid child; a failure is returned, not raised, so that the other
    points still run."""
    plan, parent_run_id, index, params, keys = item
    try:
        return execute_run(
            plan,
            params,
            run_name=f"{plan.spec.name}-{index + 1}",
            parent_run_id=parent_run_id,
            label=f"{index + 1}: {describe(params, keys)}",
            register=False,
            extra_tags={tracking.TAG_GRID_PARENT: parent_run_id},
        )
    except ZebraError as exc:
        return {"index": index, "params": params, "error": str(exc)}


def _sort_key(metric: str | None, direction: str):
    def key(r: RunResult) -> tuple[int, float]:
        value = r.metrics.get(metric) if metric else None
        if value is None:
            return (1, 0.0)
        return (0, -value if direction == "maximize" else value)

    return key


@task("register-best")
def finish_grid(
    plan: Plan, parent_run_id: str, results: Sequence[Any], keys: tuple[str, ...]
) -> TrainOutcome:
    """Pick the best child, register it, summarize on the parent run."""
    client = plan.mlflow.client
    done = [r for r in results if isinstance(r, RunResult)]
    failed = [r for r in results if not isinstance(r, RunResult)]
    primary = plan.spec.primary_metric
    metric = primary.name if primary else None
    direction = primary.direction if primary else "maximize"
    done.sort(key=_sort_key(metric, direction))
    table = [
        {"run_id": r.run_id, "params": r.params, "metrics": dict(r.metrics)}
        for r in done
    ] + [{"params": f["params"], "error": f["error"]} for f in failed]
    client.log_text(
        parent_run_id, json.dumps(table, indent=2, default=str), "grid.json"
    )
    if not done:
        client.set_tag(
            parent_run_id, "zebra.error", f"all {len(failed)} grid points failed"
        )
        client.set_terminated(parent_run_id, "FAILED")
        first = failed[0]["error"] if failed else "no grid points"
        raise RunFailed(
            f"every grid point of model '{plan.spec.name}' failed; the first: {first}"
        )
    best = done[0]
    version = register_model(client, plan, best.run_id, best.model_uri or "")
    best = attrs.evolve(best, model_version=version)
    done[0] = best
    # The parent run shows the best child's metrics.
    from mlflow.entities import Metric as MlflowMetric

    now = int(time.time() * 1000)
    client.log_batch(
        parent_run_id,
        metrics=[MlflowMetric(k, v, now, 0) for k, v in best.metrics.items()],
    )
    client.set_tag(parent_run_id, TAG_BEST_RUN, best.run_id)
    client.set_tag(parent_run_id, "zebra.model_version", version)
    client.set_terminated(parent_run_id, "FINISHED")
    return TrainOutcome(
        model=plan.spec.name,
        best=best,
        runs=tuple(done),
        parent_run_id=parent_run_id,
        primary_metric=metric,
        direction=direction,
        grid_keys=keys,
        failures=tuple(failed),
    )


def default_parallelism() -> int:
    return max(
        1,
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else (os.cpu_count() or 1),
    )


@flow("train")
def train_flow(
    model_name: str,
    project_dir: str | None = None,
    profile: str | None = None,
    params: dict[str, Any] | None = None,
    grid: bool = False,
    max_parallel: int | None = None,
    no_ingest: bool = False,
    manifest_ids: dict[str, str] | None = None,
    entrypoint: str | None = None,
    allow_untagged_notebook: bool = False,
    echo: bool = True,
) -> TrainOutcome:
    """Train ``model_name``: one run, or with ``grid`` one child run per
    point of ``hyperparams.grid`` (``params`` fix axes)."""
    from pathlib import Path

    from ..context import Context

    ctx = Context(
        project_dir=Path(project_dir) if project_dir else None, profile_name=profile
    )
    plan = build_plan(
        ctx,
        model_name,
        no_ingest=no_ingest,
        manifest_ids=manifest_ids,
        entrypoint=entrypoint,
        allow_untagged_notebook=allow_untagged_notebook,
        echo=echo,
        grid_overrides=(params or {}) if grid else None,
        max_parallel=max_parallel,
    )
    spec = plan.spec
    primary = spec.primary_metric
    for problem in undeclared(
        params or {}, spec.hyperparams.defaults, spec.hyperparams.grid
    ):
        log.warning("%s; passed to %s as given", problem, spec.entrypoint)
    try:
        if not grid:
            values = {**spec.hyperparams.defaults, **(params or {})}
            result = train_run(plan, values)
            return TrainOutcome(
                model=spec.name,
                best=result,
                runs=(result,),
                primary_metric=primary.name if primary else None,
                direction=primary.direction if primary else "maximize",
            )
        return _run_grid(plan, params or {}, max_parallel)
    finally:
        plan.adapter.discard_warm()


def _distinct(values: Any) -> list[Any]:
    """Values in order, once each (lists and dicts allowed)."""
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(json.dumps(value, sort_keys=True, default=str), value)
    return list(seen.values())


def _run_grid(
    plan: Plan, overrides: dict[str, Any], max_parallel: int | None
) -> TrainOutcome:
    spec = plan.spec
    if not spec.hyperparams.grid and not any(
        isinstance(v, list) for v in overrides.values()
    ):
        raise ConfigError(
            f"--grid given but model '{spec.name}' has no hyperparams.grid",
            hint="add hyperparams.grid to model.yaml, or pass --params KEY=[a,b]",
        )
    points = expand_grid(spec.hyperparams.defaults, spec.hyperparams.grid, overrides)
    keys = tuple(
        k
        for k in [*spec.hyperparams.grid, *overrides]
        if len({json.dumps(p.get(k), default=str) for p in points}) > 1
    )
    keys = tuple(dict.fromkeys(keys))
    client = plan.mlflow.client
    parent = client.create_run(
        plan.mlflow.experiment_id,
        tags={
            **plan.tags,
            TAG_GRID: json.dumps(
                {k: _distinct(p.get(k) for p in points) for k in keys},
                default=str,
            ),
        },
        run_name=f"{spec.name}-grid",
    )
    parent_id = parent.info.run_id
    parallel = max(1, min(max_parallel or default_parallelism(), len(points)))
    log.info(
        "grid of %d points, %d at a time, parent run %s",
        len(points),
        parallel,
        parent_id,
    )
    try:
        client.log_param(parent_id, "grid_points", len(points))
        results = map_parallel(
            grid_point,
            [(plan, parent_id, i, p, keys) for i, p in enumerate(points)],
            max_parallel=parallel,
        )
        return finish_grid(plan, parent_id, results, keys)
    except BaseException as exc:
        if client.get_run(parent_id).info.status == "RUNNING":
            client.set_tag(parent_id, "zebra.error", str(exc)[:5000])
            client.set_terminated(parent_id, "FAILED")
        raise


def train(
    ctx: Any,
    model_name: str,
    *,
    params: dict[str, Any] | None = None,
    grid: bool = False,
    max_parallel: int | None = None,
    no_ingest: bool = False,
    manifest_ids: dict[str, str] | None = None,
    entrypoint: str | None = None,
    allow_untagged_notebook: bool = False,
    echo: bool = True,
) -> TrainOutcome:
    """Run ``train_flow`` for a context: through Prefect when the profile
    (or ``PREFECT_API_URL``) names an API, else in-process."""
    return train_flow.run_in(
        ctx,
        model_name,
        project_dir=str(ctx.project.root),
        profile=ctx.profile_name,
        params=params,
        grid=grid,
        max_parallel=max_parallel,
        no_ingest=no_ingest,
        manifest_ids=manifest_ids,
        entrypoint=entrypoint,
        allow_untagged_notebook=allow_untagged_notebook,
        echo=echo,
    )
