"""Small helpers for tests: ports, waiting for servers, the Telco columns."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0, proc=None) -> None:
    """Wait until ``url`` answers 2xx; fail early when ``proc`` died."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if 200 <= resp.status < 300:
                    return
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


@contextlib.contextmanager
def environ(**values: str | None) -> Iterator[None]:
    """Set (a string) or unset (None) environment variables for a block."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group of ``proc``, SIGKILL after ``timeout``."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@contextlib.contextmanager
def server_process(
    argv: Sequence[object],
    *,
    log: Path,
    ready: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> Iterator[subprocess.Popen]:
    """A server in its own process group, its output in ``log``: yielded
    once ``ready`` (a URL) answers, stopped at exit."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(a) for a in argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
        try:
            wait_http(ready, timeout=timeout, proc=proc)
            yield proc
        finally:
            stop_process(proc)


def completed_flows(prefect_api: str) -> set[str]:
    """Names of the flows with a COMPLETED run on a Prefect server."""
    import json

    def post(path: str) -> list[dict]:
        req = urllib.request.Request(
            f"{prefect_api}/{path}",
            data=b"{}",
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    flows = {f["id"]: f["name"] for f in post("flows/filter")}
    return {
        flows[r["flow_id"]]
        for r in post("flow_runs/filter")
        if r["state_type"] == "COMPLETED"
    }


#: The Telco churn file's text columns (besides customerID and Churn).
TELCO_CATEGORICAL = [
    "gender",
    "Partner",
    "Dependents",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
]
