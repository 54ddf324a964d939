"""The local compute adapter: real subprocesses, logs, exit codes, cancel,
and pre-warmed interpreters that behave like `python script.py`."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from zebraops_core.interfaces import JobSpec
from zebraops_core.plugins import get_implementation


def _job(tmp_path: Path, argv, env=None, name="job") -> JobSpec:
    return JobSpec(
        argv=tuple(argv),
        env=env or {},
        cwd=tmp_path,
        output_dir=tmp_path / "out",
        log_path=tmp_path / "logs" / "train.log",
        name=name,
    )


@pytest.fixture
def adapter():
    cls = get_implementation("compute_adapter", "local")
    adapter = cls({})
    yield adapter
    adapter.discard_warm()


def test_streams_both_outputs_to_log_and_keeps_stderr_tail(tmp_path, adapter):
    code = textwrap.dedent("""
        import os, sys
        print("out", os.environ["ZEBRA_X"], flush=True)
        print("err line", file=sys.stderr, flush=True)
        sys.exit(3)
    """)
    job = _job(tmp_path, [sys.executable, "-c", code], {"ZEBRA_X": "42"})
    handle = adapter.submit(job)
    lines = list(adapter.stream_logs(handle))
    result = adapter.wait(handle)
    assert result.exit_code == 3
    assert sorted(lines) == ["err line\n", "out 42\n"]
    assert result.stderr_tail == "err line"
    assert set(job.log_path.read_text().splitlines()) == {"out 42", "err line"}
    assert (tmp_path / "out").is_dir()
    assert adapter.fetch_outputs(handle, tmp_path / "x") == tmp_path / "out"


def test_cancel_stops_a_running_job(tmp_path, adapter):
    job = _job(tmp_path, [sys.executable, "-c", "import time; time.sleep(60)"])
    handle = adapter.submit(job)
    start = time.monotonic()
    adapter.cancel(handle)
    result = adapter.wait(handle, timeout=20)
    assert result.exit_code != 0
    assert time.monotonic() - start < 20
    adapter.cancel(handle)  # safe on an ended job


def test_prewarmed_job_sees_what_python_script_would(tmp_path, adapter):
    script = tmp_path / "models" / "m" / "train.py"
    script.parent.mkdir(parents=True)
    (script.parent / "helper.py").write_text("VALUE = 'local helper'\n")
    script.write_text(
        textwrap.dedent("""
        import json, os, sys
        import helper
        print(json.dumps({
            "name": __name__, "argv": sys.argv, "cwd": os.getcwd(),
            "path0": sys.path[0], "run": os.environ.get("MLFLOW_RUN_ID"),
            "helper": helper.VALUE, "file": __file__,
        }), flush=True)
        if __name__ == "__main__":
            sys.exit(5)
    """)
    )
    argv = [sys.executable, "models/m/train.py", "--config", "c.json"]
    adapter.prewarm(_job(tmp_path, argv))
    # The run id only exists after pre-warming started.
    job = _job(tmp_path, argv, {"MLFLOW_RUN_ID": "abc123"})
    handle = adapter.submit(job)
    assert handle.extra["pid"]
    lines = list(adapter.stream_logs(handle))
    result = adapter.wait(handle)
    import json

    seen = json.loads(next(ln for ln in lines if ln.startswith("{")))
    assert result.exit_code == 5
    assert seen == {
        "name": "__main__",
        "argv": ["models/m/train.py", "--config", "c.json"],
        "cwd": str(tmp_path),
        "path0": str(script.parent),
        "run": "abc123",
        # Python sets __file__ of the main script to its absolute path.
        "helper": "local helper",
        "file": str(script),
    }


def test_script_imports_skip_local_modules(tmp_path):
    from zebraops_local.adapter import script_imports

    (tmp_path / "features.py").write_text("")
    script = tmp_path / "train.py"
    script.write_text(
        "import mlflow\nimport pandas as pd\nimport features\n"
        "from sklearn.pipeline import Pipeline\nmlflow.sklearn.log_model\n"
    )
    found = script_imports(script)
    assert {"mlflow", "pandas", "sklearn.pipeline", "mlflow.sklearn"} <= set(found)
    assert "features" not in found
