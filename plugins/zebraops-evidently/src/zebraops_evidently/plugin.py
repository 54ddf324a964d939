"""Hook implementations: the ``evidently`` monitor.

Nothing heavy at import: the monitor module imports Evidently only when a
check runs.
"""

from __future__ import annotations

from zebraops_core.hookspecs import hookimpl


@hookimpl
def register_monitors() -> dict:
    from .monitor import EvidentlyMonitor

    return {"evidently": EvidentlyMonitor}
