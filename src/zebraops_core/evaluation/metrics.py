"""Metrics by name: what they need, their natural direction, how to compute.

Classifier metrics take the true labels and the predicted probabilities of
every class (``scores`` shaped ``(n, k)``, columns in ``classes`` order);
regression metrics take the true values and the predictions. Every function
returns a plain ``float`` (``nan`` when undefined, e.g. AUC with one class).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

log = logging.getLogger(__name__)

CLASSIFICATION = "classification"
REGRESSION = "regression"


@attrs.frozen
class MetricDef:
    name: str
    task: str
    direction: str  # natural direction: maximize | minimize
    fn: Callable[..., float]


# Classifier metrics take labels encoded as class indices 0..k-1.


def encode_labels(y: np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    """Labels as indices into ``classes`` (matching values, else strings)."""
    index = {c: i for i, c in enumerate(classes)}
    by_text = {str(c): i for i, c in enumerate(classes)}
    try:
        return np.array(
            [index[v] if v in index else by_text[str(v)] for v in y], dtype=int
        )
    except KeyError as exc:
        raise ValueError(f"label {exc} is not a class of the model") from None


def _roc_auc(y, scores, k, threshold) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return math.nan
    if k == 2:
        return float(roc_auc_score(y, scores[:, 1]))
    if len(np.unique(y)) < k:
        return math.nan
    return float(
        roc_auc_score(
            y, scores, labels=list(range(k)), multi_class="ovr", average="macro"
        )
    )


def _pr_auc(y, scores, k, threshold) -> float:
    from sklearn.metrics import average_precision_score

    if k == 2:
        if y.sum() == 0:
            return math.nan
        return float(average_precision_score(y, scores[:, 1]))
    onehot = np.stack([(y == c).astype(int) for c in range(k)], axis=1)
    return float(average_precision_score(onehot, scores, average="macro"))


def predicted_index(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Hard predictions as class indices: the positive class at or above
    ``threshold`` for binary classifiers, the most probable class otherwise."""
    if scores.shape[1] == 2:
        return (scores[:, 1] >= threshold).astype(int)
    return np.argmax(scores, axis=1)


def _label_metric(name: str) -> Callable[..., float]:
    def compute(y, scores, k, threshold) -> float:
        from sklearn import metrics as skm

        pred = predicted_index(scores, threshold)
        if name == "accuracy":
            return float(skm.accuracy_score(y, pred))
        fn = {
            "f1": skm.f1_score,
            "precision": skm.precision_score,
            "recall": skm.recall_score,
        }[name]
        if k == 2:
            return float(fn(y, pred, pos_label=1, zero_division=0))
        return float(
            fn(y, pred, labels=list(range(k)), average="macro", zero_division=0)
        )

    return compute


def _log_loss(y, scores, k, threshold) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(y, np.clip(scores, 1e-15, 1 - 1e-15), labels=list(range(k))))


def _brier(y, scores, k, threshold) -> float:
    onehot = np.stack([(y == c).astype(float) for c in range(k)], axis=1)
    if k == 2:
        return float(np.mean((scores[:, 1] - onehot[:, 1]) ** 2))
    return float(np.mean(np.sum((scores - onehot) ** 2, axis=1)))


def _rmse(y, pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - pred) ** 2)))


def _mae(y, pred) -> float:
    return float(np.mean(np.abs(np.asarray(y, float) - pred)))


def _r2(y, pred) -> float:
    y = np.asarray(y, float)
    total = np.sum((y - y.mean()) ** 2)
    if total == 0:
        return math.nan
    return float(1 - np.sum((y - pred) ** 2) / total)


METRICS: dict[str, MetricDef] = {
    m.name: m
    for m in (
        MetricDef("roc_auc", CLASSIFICATION, "maximize", _roc_auc),
        MetricDef("pr_auc", CLASSIFICATION, "maximize", _pr_auc),
        MetricDef("f1", CLASSIFICATION, "maximize", _label_metric("f1")),
        MetricDef("accuracy", CLASSIFICATION, "maximize", _label_metric("accuracy")),
        MetricDef("precision", CLASSIFICATION, "maximize", _label_metric("precision")),
        MetricDef("recall", CLASSIFICATION, "maximize", _label_metric("recall")),
        MetricDef("log_loss", CLASSIFICATION, "minimize", _log_loss),
        MetricDef("brier", CLASSIFICATION, "minimize", _brier),
        MetricDef("rmse", REGRESSION, "minimize", _rmse),
        MetricDef("mae", REGRESSION, "minimize", _mae),
        MetricDef("r2", REGRESSION, "maximize", _r2),
    )
}

#: Computed on every evaluation of that task, declared or not.
DEFAULT_METRICS = {
    CLASSIFICATION: (
        "roc_auc",
        "pr_auc",
        "f1",
        "accuracy",
        "precision",
        "recall",
        "log_loss",
        "brier",
    ),
    REGRESSION: ("rmse", "mae", "r2"),
}


def check_declared(names: Sequence[str], task: str) -> list[str]:
    """The declared metric names this evaluation can compute.

    Names evaluation does not know (a custom metric the training script
    logs) and names of the other task (``rmse`` for a classifier) are skipped
    with a warning: gates then read the run's own logged value of that name.
    """
    usable = []
    for name in names:
        metric = METRICS.get(name)
        if metric is None:
            log.warning(
                "metric %s is not one evaluation computes (known: %s); gates use "
                "the value the training run logged",
                name,
                ", ".join(sorted(METRICS)),
            )
            continue
        if metric.task != task:
            log.warning(
                "metric %s is for %s models; this model is a %s model, skipped",
                name,
                metric.task,
                task,
            )
            continue
        usable.append(name)
    return usable


def compute(
    name: str,
    y_true: np.ndarray,
    output: np.ndarray,
    classes: Sequence[Any] | None = None,
    threshold: float = 0.5,
) -> float:
    """One metric. ``output`` is probabilities (classifiers) or predictions."""
    metric = METRICS[name]
    try:
        if metric.task == CLASSIFICATION:
            k = len(classes or [])
            value = metric.fn(
                encode_labels(y_true, classes or []), output, k, threshold
            )
        else:
            value = metric.fn(y_true, np.asarray(output, float))
    except ValueError as exc:  # e.g. one class only in a segment
        log.debug("metric %s undefined: %s", name, exc)
        return math.nan
    return float(value)


def compute_all(
    names: Sequence[str],
    y_true: np.ndarray,
    output: np.ndarray,
    classes: Sequence[Any] | None = None,
    threshold: float = 0.5,
) -> dict[str, float]:
    return {n: compute(n, y_true, output, classes, threshold) for n in names}


def better(direction: str, value: float, reference: float) -> float:
    """Signed improvement of ``value`` over ``reference`` (positive: better)."""
    return value - reference if direction == "maximize" else reference - value


def finite(value: float | None) -> float | None:
    """A JSON-safe number: ``None`` for nan and inf."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
