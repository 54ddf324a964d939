"""Lifecycle hooks around training runs."""

from __future__ import annotations

import pytest

from zebraops_core.errors import RunFailed
from zebraops_core.hookspecs import hookimpl
from zebraops_core.plugins import make_plugin_manager, set_plugin_manager

pytestmark = pytest.mark.slow


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    @hookimpl
    def before_run(self, context):
        assert context.config_path.is_file()  # written before the job
        self.calls.append(("before", context.model.name, context.run_id))

    @hookimpl
    def after_run(self, context, result):
        self.calls.append(("after", context.run_id, result.model_version))

    @hookimpl
    def on_run_error(self, context, error):
        self.calls.append(("error", context.run_id, type(error).__name__))


def test_hooks_fire_on_success_and_failure(zp):
    recorder = Recorder()
    set_plugin_manager(make_plugin_manager(extra=(recorder,)))
    zp("train", "quick", "-q")
    zp("train", "exits3", "-q", ok=False)
    (b1, m1, r1), (a1, r1b, version), (b2, m2, r2), (e2, r2b, err) = recorder.calls
    assert (b1, m1, a1, r1b) == ("before", "quick", "after", r1)
    assert version is not None
    assert (b2, m2, e2, r2b, err) == (
        "before",
        "exits3",
        "error",
        r2,
        RunFailed.__name__,
    )
