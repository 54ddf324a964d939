"""The three built-in promotion gates.

* ``threshold``: every metric with a ``threshold`` in model.yaml meets it in
  its direction.
* ``champion``: the challenger is not worse than the version holding the
  target alias by more than ``promotion.champion_tolerance`` (metric units) on
  the primary metric, on the same evaluation data. With per-row predictions
  of both models it is a non-inferiority test on a paired bootstrap
  confidence interval of the difference: it passes when the lower end of the
  interval is at least ``-tolerance``. Without them, it compares the point
  estimates. The verdict's ``method`` says which.
* ``lineage``: the evaluation scored the manifests the run was trained and
  validated with, and those belong to the datasets the model declares.
"""

from __future__ import annotations

import math
from typing import Any

from zebraops_core.interfaces import Gate, GateContext, GateVerdict

from .bootstrap import CONFIDENCE, N_BOOT, paired_bootstrap


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.4g}"


def _meets(direction: str, value: float, threshold: float) -> bool:
    return value >= threshold if direction == "maximize" else value <= threshold


class ThresholdGate(Gate):
    type_name = "threshold"

    def check(self, context: GateContext) -> GateVerdict:
        declared = [x for x in context.model.metrics if x.threshold is not None]
        if not declared:
            return GateVerdict(
                self.type_name, True, "no metric in model.yaml declares a threshold"
            )
        numbers: dict[str, Any] = {}
        misses = []
        for metric in declared:
            value = context.metrics.get(metric.name)
            ok = (
                value is not None
                and math.isfinite(value)
                and _meets(metric.direction, value, metric.threshold)
            )
            numbers[metric.name] = {
                "value": value,
                "threshold": metric.threshold,
                "direction": metric.direction,
                "passed": ok,
            }
            if not ok:
                sign = ">=" if metric.direction == "maximize" else "<="
                misses.append(
                    f"{metric.name} {_fmt(value)} (needs {sign} {metric.threshold:g})"
                )
        if misses:
            return GateVerdict(
                self.type_name, False, "missed: " + "; ".join(misses), numbers
            )
        summary = ", ".join(f"{n} {_fmt(v['value'])}" for n, v in numbers.items())
        return GateVerdict(
            self.type_name, True, f"all thresholds met ({summary})", numbers
        )


class ChampionGate(Gate):
    type_name = "champion"

    def check(self, context: GateContext) -> GateVerdict:
        alias = context.alias
        if context.champion_version is None:
            return GateVerdict(
                self.type_name,
                True,
                f"no version holds '{alias}' yet: nothing to beat",
                {"method": "none"},
            )
        if context.champion_version == context.version:
            return GateVerdict(
                self.type_name,
                True,
                f"version {context.version} already holds '{alias}'",
                {"method": "none", "champion_version": context.champion_version},
            )
        metric = context.model.primary_metric
        if metric is None:
            return GateVerdict(
                self.type_name,
                False,
                "model.yaml declares no metric to compare on",
                {"method": "none"},
            )
        options = dict(context.options)
        tolerance = float(
            options.get("tolerance", context.model.promotion.champion_tolerance)
        )
        numbers: dict[str, Any] = {
            "metric": metric.name,
            "direction": metric.direction,
            "tolerance": tolerance,
            "champion_version": context.champion_version,
            "evaluated_on": options.get("champion_source"),
        }
        preds = context.predictions
        if preds is not None and all(
            k in preds for k in ("y_true", "challenger", "champion")
        ):
            boot = paired_bootstrap(
                metric.name,
                metric.direction,
                preds,
                n_boot=int(options.get("n_boot", N_BOOT)),
                confidence=float(options.get("confidence", CONFIDENCE)),
                seed=int(options.get("seed", 0)),
            )
            numbers.update(method="paired_bootstrap", **boot)
            if not math.isfinite(boot["ci_low"]):
                return GateVerdict(
                    self.type_name,
                    False,
                    f"{metric.name} is undefined on the evaluation "
                    "rows; cannot compare",
                    numbers,
                )
            passed = boot["ci_low"] >= -tolerance
            pct = f"{boot['confidence']:.0%}"
            reason = (
                f"{metric.name} {_fmt(boot['challenger'])} vs champion "
                f"v{context.champion_version} {_fmt(boot['champion'])}: "
                f"improvement {_fmt(boot['difference'])}, {pct} CI "
                f"[{_fmt(boot['ci_low'])}, {_fmt(boot['ci_high'])}] "
                f"{'>=' if passed else '<'} -{tolerance:g} (paired bootstrap, "
                f"{boot['rows']} rows)"
            )
            return GateVerdict(self.type_name, passed, reason, numbers)
        challenger = context.metrics.get(metric.name)
        champion = (context.champion_metrics or {}).get(metric.name)
        numbers.update(
            method="point_estimate", challenger=challenger, champion=champion
        )
        if challenger is None or champion is None:
            missing = "challenger" if challenger is None else "champion"
            return GateVerdict(
                self.type_name,
                False,
                f"the {missing} has no {metric.name} to compare",
                numbers,
            )
        diff = (
            challenger - champion
            if metric.direction == "maximize"
            else (champion - challenger)
        )
        numbers["difference"] = diff
        passed = diff >= -tolerance
        reason = (
            f"{metric.name} {_fmt(challenger)} vs champion "
            f"v{context.champion_version} {_fmt(champion)}: improvement "
            f"{_fmt(diff)} {'>=' if passed else '<'} -{tolerance:g} "
            "(point estimates, no per-row predictions)"
        )
        return GateVerdict(self.type_name, passed, reason, numbers)


def dataset_of(manifest_id: str) -> str:
    """``<dataset_id>-<12 hex>`` -> dataset id."""
    head, _, tail = manifest_id.rpartition("-")
    return head if head and len(tail) == 12 else manifest_id


class LineageGate(Gate):
    type_name = "lineage"

    def check(self, context: GateContext) -> GateVerdict:
        evaluated = dict(context.eval_manifests)
        trained = dict(context.trained_manifests)
        numbers: dict[str, Any] = {"evaluated": evaluated, "trained": trained}
        if not evaluated:
            return GateVerdict(
                self.type_name, False, "the run has no evaluation to check", numbers
            )
        problems = []
        declared: dict[str, str] = {}
        for role, manifest_id in sorted(evaluated.items()):
            if role not in context.model.datasets:
                continue
            expected_dataset = context.model.dataset_ref(role).dataset
            declared[role] = expected_dataset
            if manifest_id.startswith("file:"):
                problems.append(
                    f"{role} was evaluated on a file "
                    f"({manifest_id[5:]}), not a manifest"
                )
                continue
            if trained.get(role) is None:
                problems.append(f"the run records no {role} manifest")
            elif trained[role] != manifest_id:
                problems.append(
                    f"{role} evaluated on {manifest_id} but the run "
                    f"used {trained[role]}"
                )
            if dataset_of(manifest_id) != expected_dataset:
                problems.append(
                    f"{role} manifest {manifest_id} is not of dataset "
                    f"'{expected_dataset}' declared in model.yaml"
                )
        numbers["declared"] = declared
        if "valid" not in evaluated:
            problems.append("the valid split was not evaluated")
        if problems:
            return GateVerdict(self.type_name, False, "; ".join(problems), numbers)
        roles = ", ".join(f"{r}={evaluated[r]}" for r in sorted(evaluated))
        return GateVerdict(
            self.type_name,
            True,
            f"evaluated on the run's own manifests ({roles})",
            numbers,
        )
