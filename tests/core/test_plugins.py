"""The plugin manager with real sample plugins (tests/plugins/): listing,
duplicates, broken plugins, ZEBRA_DISABLE_PLUGINS and `zebra plugins`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tests.plugins import (
    duplicate_connector,
    failing_register,
    sample_commands,
    sample_connectors,
)
from tests.plugins.recorder import FailingObserver, Recorder
from tests.plugins.sample_gates import (
    AlwaysPass,
    GatesPlugin,
    NowhereAdapter,
    NullMonitor,
)
from zebraops_core.errors import PluginError
from zebraops_core.plugins import (
    DISABLE_ENV,
    ZebraPluginWarning,
    describe_plugins,
    get_implementation,
    implementations,
    make_plugin_manager,
    set_plugin_manager,
)

ROOT = Path(__file__).resolve().parents[2]


def _pm(*plugins):
    return make_plugin_manager(entrypoints=False, extra=plugins)


def test_implementations_merge_every_plugin():
    gates = GatesPlugin()
    pm = _pm(sample_connectors, gates)
    assert implementations("connector", pm) == {
        "memory": ("tests.plugins.sample_connectors", sample_connectors.MemoryConnector)
    }
    assert get_implementation("gate", "always-pass", pm) is AlwaysPass
    assert get_implementation("compute_adapter", "nowhere", pm) is NowhereAdapter
    assert get_implementation("monitor", "null", pm) is NullMonitor


def test_missing_implementation_names_the_distribution():
    pm = _pm(sample_connectors)
    with pytest.raises(PluginError) as info:
        get_implementation("runner", "notebook", pm)
    assert "no runner named 'notebook'" in info.value.message
    assert info.value.hint == "pip install zebraops-notebook"


def test_duplicate_type_name_names_both_plugins():
    pm = _pm(sample_connectors, duplicate_connector)
    with pytest.raises(PluginError) as info:
        implementations("connector", pm)
    message = info.value.message
    assert "'memory'" in message
    assert "tests.plugins.sample_connectors" in message
    assert "tests.plugins.duplicate_connector" in message
    assert DISABLE_ENV in info.value.hint


def test_failing_registration_names_plugin_and_hook():
    pm = _pm(failing_register)
    with pytest.raises(PluginError) as info:
        implementations("runner", pm)
    assert "tests.plugins.failing_register" in info.value.message
    assert "register_runners" in info.value.message
    assert "runner registry exploded" in info.value.message


def test_a_class_instead_of_an_instance_is_refused():
    with pytest.raises(PluginError, match="is a class"):
        _pm(GatesPlugin)


def test_describe_plugins_lists_hooks_and_type_names():
    gates = GatesPlugin()
    infos = {
        i.name: i
        for i in describe_plugins(_pm(sample_connectors, gates, sample_commands))
    }
    connectors = infos["tests.plugins.sample_connectors"]
    assert connectors.hooks == ("register_connectors",)
    assert connectors.provides == {"connector": ("memory",)}
    assert connectors.distribution is None
    commands = infos["tests.plugins.sample_commands"]
    assert commands.hooks == ("register_commands", "register_serving_routes")
    assert commands.provides == {"command": ("hello",)}
    (gates_info,) = [
        i for n, i in infos.items() if "GatesPlugin" in n or i.provides.get("gate")
    ]
    assert gates_info.provides == {
        "compute_adapter": ("nowhere",),
        "gate": ("always-pass",),
        "monitor": ("null",),
    }


def test_register_serving_routes_collects_every_plugin():
    pm = _pm(sample_commands)
    assert pm.hook.register_serving_routes(model_name="churn") == [["route-for-churn"]]


# -- Entry points: installed, broken, disabled -----------------------------


@pytest.fixture
def broken_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution whose entry point names a module that does not exist."""
    info = tmp_path / "zebra_broken_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: zebra-broken-plugin\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        "[zebraops]\nbrokenplug = zebra_missing_module.plugin\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_broken_entry_point_is_a_warning_naming_it(broken_dist: Path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pm = make_plugin_manager()
    messages = [str(w.message) for w in caught if w.category is ZebraPluginWarning]
    assert len(messages) == 1
    assert (
        "plugin 'brokenplug' (from zebra-broken-plugin) failed to load" in (messages[0])
    )
    assert "zebra_missing_module" in messages[0]
    names = {name for name, _ in pm.list_name_plugin()}
    assert "brokenplug" not in names
    # The installed plugins still load, with their distribution and version.
    infos = {i.name: i for i in describe_plugins(pm)}
    assert infos["python"].distribution == "zebraops-python"
    assert infos["python"].version


def test_disable_plugins_by_name_and_all(broken_dist, monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, "brokenplug, python")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pm = make_plugin_manager()
    assert not [w for w in caught if w.category is ZebraPluginWarning]
    names = {name for name, _ in pm.list_name_plugin()}
    assert "python" not in names and "brokenplug" not in names
    assert "sql" in names

    monkeypatch.setenv(DISABLE_ENV, "all")
    assert make_plugin_manager().list_name_plugin() == []


def test_zebra_plugins_warns_about_broken_plugin_in_a_real_process(broken_dist):
    env = dict(os.environ, PYTHONPATH=str(broken_dist))
    result = subprocess.run(
        [sys.executable, "-m", "zebraops_core.cli", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning: plugin 'brokenplug' (from zebra-broken-plugin)" in (result.stderr)
    assert "zebraops-python" in result.stdout


# -- zebra plugins ------------------------------------------------------------


def test_zebra_plugins_json(zebra):
    set_plugin_manager(_pm(sample_connectors, sample_commands))
    result = zebra("plugins", "--json")
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["tests.plugins.sample_connectors"] == {
        "name": "tests.plugins.sample_connectors",
        "distribution": None,
        "version": None,
        "hooks": ["register_connectors"],
        "provides": {"connector": ["memory"]},
    }
    table = zebra("plugins")
    assert "tests.plugins.sample_commands" in table.stdout
    assert "command: hello" in table.stdout


def test_zebra_plugins_installed_distributions(zebra):
    listed = json.loads(zebra("plugins", "--json").stdout)
    dists = {p["distribution"] for p in listed}
    assert {"zebraops-python", "zebraops-fsspec", "zebraops-sql"} <= dists


def test_zebra_plugins_duplicate_is_exit_2(zebra):
    set_plugin_manager(_pm(sample_connectors, duplicate_connector))
    result = zebra("plugins", ok=False)
    assert result.exit_code == 2
    assert "connector type 'memory' is provided by both plugin" in result.stderr
    assert "'tests.plugins.sample_connectors'" in result.stderr
    assert "'tests.plugins.duplicate_connector'" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugin_command_runs(zebra):
    set_plugin_manager(_pm(sample_commands))
    assert zebra("hello", "zebra").stdout == "hello zebra\n"
    assert "hello" in zebra("--help").stdout


# -- Lifecycle hooks ------------------------------------------------------------


def test_lifecycle_hooks_reach_every_observer(tmp_path: Path, caplog):
    from zebraops_core.interfaces import PromotionEntry, RunContext, RunResult
    from zebraops_core.plugins import call_lifecycle
    from zebraops_core.specs import ModelSpec

    recorder = Recorder()
    set_plugin_manager(_pm(recorder, FailingObserver()))
    spec = ModelSpec(
        name="m", entrypoint="train.py", datasets={"train": "d", "valid": "d"}
    )
    context = RunContext(
        model=spec,
        model_dir=tmp_path,
        project_dir=tmp_path,
        run_id="r1",
        experiment_name="m",
        tracking_uri="sqlite:///x.db",
        config_path=tmp_path / "config.json",
        output_dir=tmp_path,
        manifests={},
        params={},
    )
    result = RunResult(run_id="r1", status="FINISHED", metrics={"auc": 0.8})
    entry = PromotionEntry(
        id=1,
        at="2026-12-03T10:00:00",
        actor="me",
        model="m",
        alias="prod",
        action="promote",
        from_version=None,
        to_version="1",
        run_id="r1",
    )
    error = RuntimeError("boom")
    call_lifecycle("before_run", context=context)
    call_lifecycle("after_run", context=context, result=result)
    call_lifecycle("on_run_error", context=context, error=error)
    call_lifecycle("after_ingest", dataset_id="d", manifest=None, created=True)
    # A failing observer is logged, and the other observers still run.
    call_lifecycle("after_promote", entry=entry)
    call_lifecycle("after_monitor", model_name="m", result={"drift_share": 0.1})
    assert [name for name, _ in recorder.calls] == [
        "before_run",
        "after_run",
        "on_run_error",
        "after_ingest",
        "after_promote",
        "after_monitor",
    ]
    assert recorder.calls[1][1]["result"].metrics == {"auc": 0.8}
    assert recorder.calls[2][1]["error"] is error
    assert recorder.calls[4][1]["entry"].to_version == "1"
    assert "failed in after_promote: RuntimeError: observer broke" in caplog.text


def test_layering_core_never_imports_plugins():
    """Core depends on plugins only through entry points."""
    core = ROOT / "src" / "zebraops_core"
    offenders = [
        str(p.relative_to(ROOT))
        for p in core.rglob("*.py")
        if any(
            f"import zebraops_{name}" in p.read_text("utf-8")
            or f"from zebraops_{name}" in p.read_text("utf-8")
            for name in (
                "python",
                "notebook",
                "fsspec",
                "sql",
                "local",
                "gates",
                "serve",
                "evidently",
                "vast",
                "sagemaker",
                "vertex",
            )
        )
    ]
    assert offenders == []
