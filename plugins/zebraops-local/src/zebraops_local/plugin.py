"""Hook implementations of the ``local`` compute adapter plugin."""

from __future__ import annotations

from typing import Any

from zebraops_core.hookspecs import hookimpl


@hookimpl
def register_compute_adapters() -> dict[str, Any]:
    from .adapter import LocalAdapter

    return {"local": LocalAdapter}
