"""The local compute adapter: real subprocesses, logs, exit codes, cancel,
and pre-warmed interpreters that behave like `python script.py`."""

from __future__ import annotations

import os
import subprocess
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


@pytest.mark.parametrize("how", [["train.py"], ["-m", "train"]])
def test_prewarmed_job_exits_like_python(tmp_path, adapter, how):
    """After the script, the freeze skips only the collector: atexit
    handlers, non-daemon threads and unclosed files behave as in Python."""
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent("""
        import atexit, threading, time
        from pathlib import Path
        atexit.register(lambda: Path("atexit.txt").write_text("ran"))
        LEFT_OPEN = open("unclosed.txt", "w")
        LEFT_OPEN.write("buffered, never closed")
        def late():
            time.sleep(0.5)
            Path("thread.txt").write_text("joined")
        threading.Thread(target=late).start()
    """)
    )
    argv = [sys.executable, *how]
    adapter.prewarm(_job(tmp_path, argv))
    handle = adapter.submit(_job(tmp_path, argv))
    assert "warm" in " ".join(adapter._procs[handle.job_id].popen.args)
    list(adapter.stream_logs(handle))
    assert adapter.wait(handle).exit_code == 0
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert (tmp_path / "unclosed.txt").read_text() == "buffered, never closed"
    assert (tmp_path / "thread.txt").read_text() == "joined"


def _open_files(pid: int) -> set[str]:
    fds = Path(f"/proc/{pid}/fd")
    found = set()
    for fd in fds.iterdir():
        try:
            found.add(os.readlink(fd))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_prewarmed_interpreter_opens_an_initialized_store_early(tmp_path, adapter):
    """The interpreter opens (and MLflow caches) the job's SQLite tracking
    store while it waits for the job."""
    import mlflow

    db = tmp_path / "mlflow.db"
    uri = f"sqlite:///{db}"
    mlflow.MlflowClient(tracking_uri=uri).search_experiments()  # initialize
    script = tmp_path / "train.py"
    script.write_text("import mlflow\nprint(mlflow.get_tracking_uri())\n")
    env = {"MLFLOW_TRACKING_URI": uri}
    argv = [sys.executable, "train.py"]
    adapter.prewarm(_job(tmp_path, argv, env))
    (warm,) = adapter._warm.values()
    deadline = time.monotonic() + 120
    while str(db) not in _open_files(warm.popen.pid):
        assert time.monotonic() < deadline, "the store was never opened"
        time.sleep(0.2)
    handle = adapter.submit(_job(tmp_path, argv, env))
    lines = list(adapter.stream_logs(handle))
    assert adapter.wait(handle).exit_code == 0
    assert f"{uri}\n" in lines


def test_prewarmed_interpreter_leaves_a_new_store_to_zebraops(tmp_path, adapter):
    """A database that does not exist yet is not created by the interpreter
    (ZebraOps creates it; two processes creating tables race)."""
    db = tmp_path / "mlflow.db"
    script = tmp_path / "train.py"
    script.write_text("import mlflow\n")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{db}"}
    argv = [sys.executable, "train.py"]
    adapter.prewarm(_job(tmp_path, argv, env))
    handle = adapter.submit(_job(tmp_path, argv, env))
    list(adapter.stream_logs(handle))
    assert adapter.wait(handle).exit_code == 0
    assert not db.exists()


@pytest.mark.parametrize(
    ("source", "last_line"),
    [
        ("def f():\n    raise ValueError('bad C')\nf()\n", "ValueError: bad C"),
        ("x = (\n", "SyntaxError: '(' was never closed"),
    ],
)
def test_prewarmed_job_failure_reads_like_python(tmp_path, adapter, source, last_line):
    """A failing script's traceback shows the script's frames only, as
    `python train.py` would, and the exit code is Python's."""
    (tmp_path / "train.py").write_text(source)
    argv = [sys.executable, "train.py"]
    adapter.prewarm(_job(tmp_path, argv))
    handle = adapter.submit(_job(tmp_path, argv))
    lines = list(adapter.stream_logs(handle))
    result = adapter.wait(handle)
    cold = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert result.exit_code == cold.returncode == 1
    assert result.stderr_tail.splitlines()[-1] == last_line
    assert "zebraops_local" not in "".join(lines)
    assert "".join(lines).replace(str(tmp_path / "train.py"), "train.py") == (
        cold.stderr.replace(str(tmp_path / "train.py"), "train.py")
    )
