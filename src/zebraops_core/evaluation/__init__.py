"""Evaluation: score a run's model on the data it was validated on.

``evaluate(ctx, model_name, run_id)`` runs :data:`eval_flow` (a Prefect flow
when a Prefect API is configured, plain Python otherwise), logs
``eval.<metric>`` to the run and the JSON and HTML reports under ``eval/``.
"""

from __future__ import annotations

from .flow import (
    METRIC_PREFIX,
    TAG_EVAL_PREFIX,
    EvalResult,
    eval_flow,
    eval_metrics,
    eval_sources,
    evaluate,
    is_evaluated,
)
from .metrics import METRICS

__all__ = [
    "METRICS",
    "METRIC_PREFIX",
    "TAG_EVAL_PREFIX",
    "EvalResult",
    "eval_flow",
    "eval_metrics",
    "eval_sources",
    "evaluate",
    "is_evaluated",
]
