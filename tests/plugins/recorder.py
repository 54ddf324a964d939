"""A plugin observing every lifecycle hook; it records what it saw."""

from __future__ import annotations

from typing import Any

from zebraops_core.hookspecs import hookimpl


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def before_run(self, context):
        self.calls.append(("before_run", {"context": context}))

    @hookimpl
    def after_run(self, context, result):
        self.calls.append(("after_run", {"context": context, "result": result}))

    @hookimpl
    def on_run_error(self, context, error):
        self.calls.append(("on_run_error", {"context": context, "error": error}))

    @hookimpl
    def after_ingest(self, dataset_id, manifest, created):
        self.calls.append(
            (
                "after_ingest",
                {"dataset_id": dataset_id, "manifest": manifest, "created": created},
            )
        )

    @hookimpl
    def after_promote(self, entry):
        self.calls.append(("after_promote", {"entry": entry}))

    @hookimpl
    def after_monitor(self, model_name, result):
        self.calls.append(
            ("after_monitor", {"model_name": model_name, "result": result})
        )


class FailingObserver:
    @hookimpl
    def after_promote(self, entry):
        raise RuntimeError("observer broke")
