"""The ``local`` compute adapter: each job is a subprocess on this machine.

stdout and stderr are read line by line by two threads; every line goes to
the job's log file (the run artifact) and to :meth:`LocalAdapter.stream_logs`
for the terminal, and the last stderr lines are kept for error messages.

Pre-warming: :meth:`LocalAdapter.prewarm` starts the job's interpreter early;
it imports the modules the script imports and opens the tracking store
while ZebraOps is still creating the MLflow run (see
:mod:`zebraops_local.warm`). :meth:`LocalAdapter.submit` then hands the job
(argv, env, cwd) to that interpreter, which runs the script as ``__main__``
with ``sys.argv`` set as if it had been started as ``python train.py ...``.
"""

from __future__ import annotations

import ast
import collections
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from zebraops_core.errors import RunFailed
from zebraops_core.interfaces import ComputeAdapter, JobHandle, JobResult, JobSpec

log = logging.getLogger(__name__)

#: Lines of stderr kept for the error message of a failed job.
TAIL_LINES = 40
#: Set to 0 to start every job cold.
PREWARM_ENV = "ZEBRA_LOCAL_PREWARM"
#: Job variables a pre-warmed interpreter gets at start, so that it can open
#: the tracking store the job will use (the rest come with the job).
WARM_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
_DONE = object()


class _Proc:
    """A subprocess whose output threads write to a log file (once known)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], stdin: Any):
        self.popen = subprocess.Popen(
            argv,
            cwd=str(cwd),
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.lines: queue.Queue[Any] = queue.Queue()
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._log: IO[str] | None = None
        self._pending: list[str] = []
        self._threads = [
            threading.Thread(
                target=self._read, args=(stream, is_err), daemon=True, name="zebra-log"
            )
            for stream, is_err in (
                (self.popen.stdout, False),
                (self.popen.stderr, True),
            )
        ]
        for t in self._threads:
            t.start()

    def attach_log(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._log = open(path, "a", encoding="utf-8")  # noqa: SIM115
            self._log.writelines(self._pending)
            self._log.flush()
            self._pending.clear()

    def _read(self, stream: IO[bytes], is_err: bool) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            if not line.endswith("\n"):
                line += "\n"
            with self._lock:
                if self._log is None:
                    self._pending.append(line)
                else:
                    self._log.write(line)
                    self._log.flush()
                if is_err:
                    self.tail.append(line)
            self.lines.put(line)
        stream.close()
        self.lines.put(_DONE)

    def finish(self, timeout: float | None) -> int:
        code = self.popen.wait(timeout)
        for t in self._threads:
            t.join(10)
        with self._lock:
            if self._log is not None:
                self._log.close()
        return code

    def kill(self) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _is_python(exe: str) -> bool:
    return exe == sys.executable or Path(exe).name.startswith("python")


def script_imports(script: Path) -> list[str]:
    """Absolute modules a script imports (``mlflow.sklearn`` included when
    it is used as an attribute), minus those living next to the script."""
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    found: dict[str, None] = {}
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                found[a.name] = None
                aliases[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found[node.module] = None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.islower()
        ):
            found[f"{aliases[node.value.id]}.{node.attr}"] = None
    here = script.parent
    local = {p.stem for p in here.glob("*.py")} | {
        p.name for p in here.iterdir() if p.is_dir()
    }
    return [m for m in found if m.split(".")[0] not in local and m != "__future__"]


class LocalAdapter(ComputeAdapter):
    """Run jobs as subprocesses of this process."""

    type_name = "local"

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self._procs: dict[str, _Proc] = {}
        self._warm: dict[tuple[str, ...], _Proc] = {}
        self._lock = threading.Lock()

    # -- Pre-warming --------------------------------------------------------

    def _warm_key(self, job: JobSpec) -> tuple[str, ...] | None:
        argv = list(job.argv)
        if len(argv) < 2 or not _is_python(argv[0]):
            return None
        if os.environ.get(PREWARM_ENV, "1") == "0":
            return None
        if any(k.startswith("PYTHON") for k in job.env):
            return None  # interpreter start-up settings cannot apply late
        if argv[1] == "-m" and len(argv) > 2 or not argv[1].startswith("-"):
            return (str(job.cwd), *argv)
        return None

    def prewarm(self, job: JobSpec) -> None:
        """Start the job's interpreter now and import what it will import."""
        key = self._warm_key(job)
        if key is None:
            return
        with self._lock:
            if key in self._warm:
                return
        argv = list(job.argv)
        if argv[1] == "-m":
            # What the module imports, not the module (runpy runs it fresh).
            import importlib.util

            try:
                spec = importlib.util.find_spec(argv[2])
            except (ImportError, ValueError):
                spec = None
            origin = spec.origin if spec is not None else None
            modules = script_imports(Path(origin)) if origin else []
        else:
            modules = script_imports(Path(job.cwd, argv[1]))
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.update((k, job.env[k]) for k in WARM_ENV if job.env.get(k))
        proc = _Proc(
            [argv[0], "-m", "zebraops_local.warm", *modules],
            job.cwd,
            env,
            subprocess.PIPE,
        )
        with self._lock:
            self._warm[key] = proc
        log.debug("pre-warming %s with %s", job.name, modules)

    def discard_warm(self) -> None:
        """Stop interpreters that were pre-warmed and never used."""
        with self._lock:
            procs = list(self._warm.values())
            self._warm.clear()
        for proc in procs:
            if proc.popen.stdin:
                proc.popen.stdin.close()
            proc.kill()

    # -- The contract -------------------------------------------------------

    def submit(self, job: JobSpec) -> JobHandle:
        job.output_dir.mkdir(parents=True, exist_ok=True)
        key = self._warm_key(job)
        with self._lock:
            proc = self._warm.pop(key, None) if key else None
        if proc is not None and proc.popen.poll() is None:
            order = {"argv": list(job.argv), "env": dict(job.env), "cwd": str(job.cwd)}
            assert proc.popen.stdin is not None
            try:
                proc.popen.stdin.write((json.dumps(order) + "\n").encode())
                proc.popen.stdin.close()
            except OSError:
                proc = None
        else:
            proc = None
        if proc is None:
            env = {**os.environ, "PYTHONUNBUFFERED": "1", **job.env}
            try:
                proc = _Proc(list(job.argv), job.cwd, env, subprocess.DEVNULL)
            except OSError as exc:
                raise RunFailed(
                    f"cannot start {job.argv[0]}: {exc}",
                    hint="check the interpreter and the working folder",
                ) from None
        proc.attach_log(job.log_path)
        job_id = f"local-{proc.popen.pid}-{uuid.uuid4().hex[:6]}"
        self._procs[job_id] = proc
        return JobHandle(
            adapter=self.type_name,
            job_id=job_id,
            spec=job,
            extra={"pid": proc.popen.pid},
        )

    def stream_logs(self, handle: JobHandle) -> Iterator[str]:
        proc = self._procs[handle.job_id]
        ended = 0
        while ended < 2:
            item = proc.lines.get()
            if item is _DONE:
                ended += 1
                continue
            yield item

    def wait(self, handle: JobHandle, timeout: float | None = None) -> JobResult:
        proc = self._procs[handle.job_id]
        try:
            code = proc.finish(timeout)
        except subprocess.TimeoutExpired:
            self.cancel(handle)
            raise RunFailed(
                f"job {handle.spec.name} did not end within {timeout:g} s; stopped"
            ) from None
        return JobResult(
            exit_code=code,
            log_path=handle.spec.log_path,
            output_dir=handle.spec.output_dir,
            stderr_tail="".join(proc.tail).rstrip(),
            duration_s=round(time.monotonic() - proc.started, 3),
        )

    def fetch_outputs(self, handle: JobHandle, dest: Path) -> Path:
        return handle.spec.output_dir

    def cancel(self, handle: JobHandle) -> None:
        proc = self._procs.get(handle.job_id)
        if proc is not None:
            proc.kill()
