"""Processes for the alias race test (run with ``python -m``).

``reader TRACKING_URI MODEL ALIAS OUT STOP``: read the alias through
``MlflowClient.get_model_version_by_alias`` every few milliseconds until the
STOP file exists; write every answer (version or error) to OUT as JSON.

``writer PROJECT N READY GO``: warm up, touch READY, wait for GO, then roll
the prod alias back and forth N times (``zebra rollback --previous``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def reader(tracking_uri: str, model: str, alias: str, out: str, stop: str) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    answers: list[str] = []
    ready = Path(out + ".ready")
    while not Path(stop).exists():
        try:
            answers.append(str(client.get_model_version_by_alias(model, alias).version))
        except Exception as exc:  # a missing alias is an error to report
            answers.append(f"error: {type(exc).__name__}: {exc}"[:300])
        if not ready.exists():
            ready.write_text("1")
        time.sleep(0.003)
    Path(out).write_text(json.dumps(answers))


def writer(project: str, n: int, ready: str, go: str) -> None:
    from zebraops_core import tracking
    from zebraops_core.context import Context
    from zebraops_core.promotion import history, rollback
    from zebraops_core.promotion.ledger import alias_version

    ctx = Context(project_dir=Path(project))
    # Imports and connections done before the start, as in the main process.
    history(ctx, "churn")
    alias_version(tracking.client(ctx.settings), "churn", "prod")
    Path(ready).write_text("1")
    while not Path(go).exists():
        time.sleep(0.01)
    for _ in range(n):
        rollback(ctx, "churn", previous=True, reason="race writer")


if __name__ == "__main__":
    if sys.argv[1] == "reader":
        reader(*sys.argv[2:7])
    else:
        writer(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
