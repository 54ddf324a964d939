"""Hook implementations of the ``python`` runner plugin."""

from __future__ import annotations

from typing import Any

from zebraops_core.hookspecs import hookimpl


@hookimpl
def register_runners() -> dict[str, Any]:
    from .runner import PythonRunner

    return {"python": PythonRunner}
