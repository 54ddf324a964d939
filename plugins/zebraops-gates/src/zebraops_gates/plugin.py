"""Hook implementations of the gates plugin: nothing heavy at import."""

from __future__ import annotations

from typing import Any

from zebraops_core.hookspecs import hookimpl


@hookimpl
def register_gates() -> dict[str, Any]:
    from .gates import ChampionGate, LineageGate, ThresholdGate

    return {
        ChampionGate.type_name: ChampionGate,
        LineageGate.type_name: LineageGate,
        ThresholdGate.type_name: ThresholdGate,
    }
