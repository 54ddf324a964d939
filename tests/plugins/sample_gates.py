"""A plugin that is a class instance (not a module) providing a gate, a
monitor and a compute adapter."""

from __future__ import annotations

from zebraops_core.hookspecs import hookimpl
from zebraops_core.interfaces import ComputeAdapter, Gate, GateVerdict, Monitor


class AlwaysPass(Gate):
    type_name = "always-pass"

    def check(self, context) -> GateVerdict:
        return GateVerdict(gate=self.type_name, passed=True, reason="always")


class NowhereAdapter(ComputeAdapter):
    """Registered and listed, never instantiated."""

    type_name = "nowhere"


class NullMonitor(Monitor):
    """Finds no drift, ever."""

    type_name = "null"

    def check(self, reference, current, settings, **kwargs):
        return [], {"rows": len(current)}, None


class GatesPlugin:
    @hookimpl
    def register_gates(self):
        return {"always-pass": AlwaysPass}

    @hookimpl
    def register_monitors(self):
        return {"null": NullMonitor}

    @hookimpl
    def register_compute_adapters(self):
        return {"nowhere": NowhereAdapter}
