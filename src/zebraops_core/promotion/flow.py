"""``promote_flow`` and ``rollback_flow``: move a model's alias through gates.

Decisions, in order:

* A run that is not FINISHED (FAILED, KILLED, RUNNING) is refused, and so is
  a run with no registered version of the model.
* A run that was never evaluated is evaluated first, on the manifests it was
  trained with (``outcome.evaluated_now`` says so).
* Under the model's promotion lock: the gates configured for the target run
  against the version holding the alias at that moment; only when all pass
  (or with ``force`` and a reason) the ledger entry is written and the alias
  moved, together (see :func:`.ledger.move_alias`).
* A refused promotion leaves no ledger entry and fires no hook; the ledger
  records alias moves only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import tracking
from ..errors import ConfigError, NotFound, RunFailed
from ..interfaces import GateContext, GateVerdict, PromotionEntry
from ..orchestration import flow, task
from . import ledger

if TYPE_CHECKING:
    from ..context import Context

log = logging.getLogger(__name__)

TARGETS = ("staging", "prod")


@attrs.frozen
class PromotionOutcome:
    model: str
    run_id: str
    target: str
    alias: str
    version: str
    from_version: str | None
    verdicts: tuple[GateVerdict, ...]
    #: Every gate passed.
    passed: bool
    #: The alias now points at ``version`` (moved now or already there).
    promoted: bool
    forced: bool = False
    evaluated_now: bool = False
    entry: PromotionEntry | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = attrs.asdict(self, recurse=False)
        out["verdicts"] = [attrs.asdict(v) for v in self.verdicts]
        out["entry"] = ledger.entry_dict(self.entry) if self.entry else None
        return out


def _context(project_dir: str, profile: str | None) -> Context:
    from ..context import Context

    return Context(project_dir=Path(project_dir), profile_name=profile)


# -- Checks before the lock ----------------------------------------------------


def check_promotable(client: Any, model_name: str, run_id: str) -> tuple[Any, str]:
    """The run and its registered version; refuse anything else."""
    from ..evaluation.flow import check_run_model, get_run, run_version

    run = get_run(client, run_id)
    check_run_model(run, model_name)
    status = run.info.status
    if status != "FINISHED":
        raise RunFailed(
            f"run {run_id} is {status}; only FINISHED runs can be promoted",
            hint="train again, then promote the new run",
        )
    version = run_version(client, model_name, run_id)
    if version is None:
        raise NotFound(
            f"run {run_id} has no registered version of model '{model_name}'",
            hint="`zebra train` registers one; or register runs:/RUN_ID/model "
            f"as '{model_name}' in MLflow",
        )
    return run, version


@task("promote-ensure-evaluated")
def ensure_evaluated(
    project_dir: str, profile: str | None, model_name: str, run_id: str
) -> bool:
    """Evaluate the run on its own manifests when it never was."""
    from ..evaluation import evaluate, is_evaluated

    ctx = _context(project_dir, profile)
    run = tracking.client(ctx.settings).get_run(run_id)
    if is_evaluated(run):
        return False
    log.info("run %s was never evaluated: evaluating it first", run_id)
    evaluate(ctx, model_name, run_id)
    return True


# -- Gate inputs ---------------------------------------------------------------


def _champion_inputs(
    ctx: Context, spec: Any, run: Any, challenger_version: str, champion_version: str
) -> dict[str, Any]:
    """Score the champion on the challenger's evaluation rows.

    Returns champion metrics and, when both models' classes agree, per-row
    predictions for the paired bootstrap. Falls back to the champion run's
    own evaluation metrics when it cannot be scored.
    """
    from ..evaluation import data as d
    from ..evaluation import metrics as m
    from ..evaluation.flow import eval_metrics, score_source, source_of_run

    model_name = spec.name
    client = tracking.client(ctx.settings)
    try:
        source = source_of_run(ctx, spec, run, "valid")
        challenger = d.load_model(f"models:/{model_name}/{challenger_version}")
        champion = d.load_model(f"models:/{model_name}/{champion_version}")
        if challenger.task != champion.task:
            raise ConfigError("the champion and the challenger solve different tasks")
        new = score_source(ctx, challenger, source)
        old = score_source(ctx, champion, source)
        names = m.check_declared([x.name for x in spec.metrics], champion.task)
        threshold = spec.evaluation.threshold
        champion_metrics = m.compute_all(
            names, old.y, old.output, champion.classes, threshold
        )
        same_rows = len(new.y) == len(old.y) and (
            champion.classes == challenger.classes
        )
        predictions = None
        if same_rows:
            predictions = {
                "y_true": new.y,
                "challenger": new.output,
                "champion": old.output,
                "classes": challenger.classes,
                "threshold": threshold,
            }
        return {
            "champion_metrics": champion_metrics,
            "predictions": predictions,
            "champion_source": source.describe(),
        }
    except Exception as exc:  # fall back to point estimates, and say so
        log.warning(
            "could not score champion v%s on the challenger's data (%s); "
            "comparing with its own evaluation",
            champion_version,
            exc,
        )
        mv = client.get_model_version(model_name, champion_version)
        champion_run = client.get_run(mv.run_id) if mv.run_id else None
        metrics = eval_metrics(champion_run) if champion_run else {}
        return {
            "champion_metrics": metrics,
            "predictions": None,
            "champion_source": f"its own evaluation ({exc})",
        }


def build_gate_context(
    ctx: Context,
    spec: Any,
    target: str,
    run: Any,
    version: str,
    champion_version: str | None,
    gates: list[str],
) -> GateContext:
    from ..evaluation import data as d
    from ..evaluation.flow import eval_metrics, eval_sources

    metrics = dict(eval_metrics(run))
    for metric in spec.metrics:  # metrics evaluation cannot compute: the run's own
        if metric.name not in metrics and metric.name in run.data.metrics:
            metrics[metric.name] = run.data.metrics[metric.name]
    extra: dict[str, Any] = {}
    if "champion" in gates and champion_version not in (None, version):
        extra = _champion_inputs(ctx, spec, run, version, champion_version)
    options = {"tolerance": spec.promotion.champion_tolerance}
    if "champion_source" in extra:
        options["champion_source"] = extra["champion_source"]
    return GateContext(
        model=spec,
        target=target,
        alias=spec.alias_for(target),
        run_id=run.info.run_id,
        version=version,
        metrics=metrics,
        champion_version=champion_version,
        champion_metrics=extra.get("champion_metrics"),
        eval_manifests=eval_sources(run),
        trained_manifests=d.trained_manifests(run.data.tags),
        predictions=extra.get("predictions"),
        options=options,
    )


def run_gates(names: list[str], context: GateContext) -> list[GateVerdict]:
    from ..plugins import get_implementation

    verdicts = []
    for name in names:
        gate = get_implementation("gate", name)()
        try:
            verdict = gate.check(context)
        except Exception as exc:  # a broken gate fails closed
            log.warning("gate %s crashed", name, exc_info=True)
            verdict = GateVerdict(
                name, False, f"gate crashed: {type(exc).__name__}: {exc}"
            )
        verdicts.append(verdict)
    return verdicts


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN and inf to None."""
    import math

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _verdict_dict(v: GateVerdict) -> dict[str, Any]:
    return _jsonable(attrs.asdict(v))


# -- Flows ---------------------------------------------------------------------


@task("promote-gate-and-move")
def gate_and_move(
    project_dir: str,
    profile: str | None,
    model_name: str,
    run_id: str,
    version: str,
    target: str,
    force: bool,
    reason: str,
    actor: str,
    evaluated_now: bool,
) -> PromotionOutcome:
    from ..plugins import call_lifecycle

    ctx = _context(project_dir, profile)
    spec = ctx.project.load_model(model_name)
    client = tracking.client(ctx.settings)
    alias = spec.alias_for(target)
    gates = list(spec.promotion.gates.get(target, []))
    run = client.get_run(run_id)
    with ctx.store.lock(ledger.lock_name(model_name)):
        current = ledger.alias_version(client, model_name, alias)
        context = build_gate_context(ctx, spec, target, run, version, current, gates)
        verdicts = run_gates(gates, context)
        passed = all(v.passed for v in verdicts)
        common = dict(
            model=model_name,
            run_id=run_id,
            target=target,
            alias=alias,
            version=version,
            from_version=current,
            verdicts=tuple(verdicts),
            passed=passed,
            evaluated_now=evaluated_now,
        )
        if current == version:
            return PromotionOutcome(
                **common, promoted=True, message=f"v{version} already holds '{alias}'"
            )
        if not passed and not force:
            failed = ", ".join(v.gate for v in verdicts if not v.passed)
            return PromotionOutcome(
                **common, promoted=False, message=f"refused: gate(s) {failed} failed"
            )
        entry = ledger.move_alias(
            ctx.store,
            client,
            model_name=model_name,
            alias=alias,
            action="promote",
            from_version=current,
            to_version=version,
            run_id=run_id,
            verdicts=[_verdict_dict(v) for v in verdicts],
            forced=bool(force and not passed),
            reason=reason,
            actor=actor,
        )
    call_lifecycle("after_promote", entry=entry)
    moved = f"'{alias}' -> v{version}" + (f" (was v{current})" if current else "")
    return PromotionOutcome(
        **common,
        promoted=True,
        forced=entry.forced,
        entry=entry,
        message=("forced: " if entry.forced else "") + moved,
    )


@flow("promote")
def promote_flow(
    project_dir: str,
    profile: str | None,
    model_name: str,
    run_id: str,
    target: str,
    force: bool = False,
    reason: str = "",
    actor: str = "",
) -> PromotionOutcome:
    ctx = _context(project_dir, profile)
    _, version = check_promotable(tracking.client(ctx.settings), model_name, run_id)
    evaluated_now = ensure_evaluated(project_dir, profile, model_name, run_id)
    return gate_and_move(
        project_dir,
        profile,
        model_name,
        run_id,
        version,
        target,
        force,
        reason,
        actor,
        evaluated_now,
    )


def promote(
    ctx: Context,
    model_name: str,
    run_id: str,
    target: str,
    *,
    force: bool = False,
    reason: str = "",
) -> PromotionOutcome:
    """Promote ``run_id``'s version of ``model_name`` to ``target``.

    Returns the outcome; ``outcome.promoted`` is False when a gate failed and
    ``force`` was not given. Raises for refusals (unknown target, a run that
    did not finish, no registered version, ``force`` without a reason).
    """
    if target not in TARGETS:
        raise ConfigError(f"unknown target '{target}'; expected staging or prod")
    if force and not reason.strip():
        raise ConfigError(
            "a forced promotion needs a reason",
            hint='add --reason "why the gates may be bypassed"',
        )
    ctx.project.load_model(model_name)  # a missing model fails before MLflow
    return promote_flow.run_in(
        ctx,
        str(ctx.project.root),
        ctx.profile_name,
        model_name,
        run_id,
        target,
        force,
        reason,
        ledger.current_actor(),
    )


@flow("rollback")
def rollback_flow(
    project_dir: str,
    profile: str | None,
    model_name: str,
    to_run: str | None,
    previous: bool,
    alias: str | None,
    reason: str,
    actor: str,
) -> PromotionEntry:
    from ..plugins import call_lifecycle

    ctx = _context(project_dir, profile)
    spec = ctx.project.load_model(model_name)
    alias = alias or spec.promotion.alias_prod
    client = tracking.client(ctx.settings)
    with ctx.store.lock(ledger.lock_name(model_name)):
        current = ledger.alias_version(client, model_name, alias)
        if current is None:
            raise NotFound(
                f"alias '{alias}' of '{model_name}' is not set: nothing to roll back",
                hint=f"promote a run first: zebra promote {model_name} "
                "--run RUN_ID --to prod",
            )
        run_id = to_run
        if to_run is not None:  # the same refusals as a promotion
            _, target = check_promotable(client, model_name, to_run)
        else:
            target = _previous(ctx, model_name, alias, current)
            run_id = client.get_model_version(model_name, target).run_id
        if target == current:
            raise ConfigError(f"v{current} already holds '{alias}'")
        entry = ledger.move_alias(
            ctx.store,
            client,
            model_name=model_name,
            alias=alias,
            action="rollback",
            from_version=current,
            to_version=target,
            run_id=run_id,
            reason=reason,
            actor=actor,
        )
    call_lifecycle("after_promote", entry=entry)
    return entry


def _previous(ctx: Context, model_name: str, alias: str, current: str) -> str:
    """The version that held the alias before the current one."""
    for entry in reversed(ledger.history(ctx.store, model_name, alias)):
        if entry.to_version == current and entry.from_version is not None:
            return entry.from_version
    raise NotFound(
        f"the ledger has no version of '{model_name}' that held "
        f"'{alias}' before v{current}",
        hint=f"name one: zebra rollback {model_name} --to RUN_ID",
    )


def rollback(
    ctx: Context,
    model_name: str,
    *,
    to_run: str | None = None,
    previous: bool = False,
    alias: str | None = None,
    reason: str = "",
) -> PromotionEntry:
    """Point ``alias`` (default: the prod alias) at ``to_run``'s version or
    at the version that held it before; recorded in the ledger."""
    if (to_run is None) == (not previous):
        raise ConfigError("give exactly one of --to RUN_ID or --previous")
    ctx.project.load_model(model_name)
    return rollback_flow.run_in(
        ctx,
        str(ctx.project.root),
        ctx.profile_name,
        model_name,
        to_run,
        previous,
        alias,
        reason,
        ledger.current_actor(),
    )


def history(
    ctx: Context, model_name: str, alias: str | None = None
) -> list[PromotionEntry]:
    """The model's ledger, oldest first."""
    return ledger.history(ctx.store, model_name, alias)
