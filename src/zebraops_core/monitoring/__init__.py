"""Monitoring: drift and quality checks against the prod model's training
data, retrain advice, performance from labels, Prometheus export and the
retrain flow.

Light at import: pandas, MLflow and Evidently load when a check runs.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "acknowledge",
    "analyze",
    "ingest_labels",
    "latest",
    "monitor",
    "monitor_flow",
    "retrain",
    "retrain_flow",
]

_LAZY = {
    "acknowledge": ".flow",
    "latest": ".flow",
    "monitor": ".flow",
    "monitor_flow": ".flow",
    "analyze": ".check",
    "ingest_labels": ".labels",
    "retrain": ".retrain",
    "retrain_flow": ".retrain",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name], __name__)
        return getattr(module, name)
    raise AttributeError(name)
