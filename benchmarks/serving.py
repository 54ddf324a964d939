#!/usr/bin/env python3
"""Serving benchmark: ``zebra serve`` against ``mlflow models serve``.

The same churn pipeline (Telco data, OneHotEncoder + scaler + logistic
regression) is registered once as ``churn@prod`` in a throwaway project, then
served by both servers at the same time. One async load generator (httpx)
drives each in turn, alternating rounds so both see the same machine load:

* single-row requests at concurrency 8,
* 1,000-row requests at concurrency 2.

It prints requests/s, p50 and p99 latency per server and the ratios.

    .venv/bin/python benchmarks/serving.py [--duration 10] [--rounds 2]
        [--project DIR]   # an existing project with churn@prod instead

Both servers get the same dataframe_split JSON bodies; every answer must be
HTTP 200 (errors are counted and printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TELCO = ROOT.parent / "shared" / "data" / "telco-churn" / "telco_churn.csv"
NUMERIC = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]


# -- The model ------------------------------------------------------------------


def telco_features(csv: Path):
    import pandas as pd

    df = pd.read_csv(csv)
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce")
    df = df.dropna().reset_index(drop=True)
    return df.drop(columns=["Churn", "customerID"]), df["Churn"]


def register_churn(project: Path, csv: Path) -> str:
    """Train the churn pipeline, register it as churn@prod; the tracking URI."""
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from zebraops_core import tracking
    from zebraops_core.context import Context

    settings = Context(project_dir=project).settings
    tracking.configure(settings)
    X, y = telco_features(csv)
    cats = [c for c in X.columns if c not in NUMERIC]
    pipe = Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [
                        (
                            "num",
                            make_pipeline(SimpleImputer(), StandardScaler()),
                            NUMERIC,
                        ),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
                    ]
                ),
            ),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    ).fit(X, y)
    exp = tracking.ensure_experiment(settings, "churn")
    with mlflow.start_run(experiment_id=exp):
        info = mlflow.sklearn.log_model(
            pipe,
            name="model",
            signature=infer_signature(X.head(5), pipe.predict(X.head(5))),
            input_example=X.head(5),
            pip_requirements=["scikit-learn", "pandas", "skops"],
            skops_trusted_types=["numpy.dtype"],
        )
    mv = mlflow.register_model(info.model_uri, "churn")
    tracking.client(settings).set_registered_model_alias("churn", "prod", mv.version)
    return settings.tracking_uri


# -- Servers ----------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 180) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# -- Load generator ---------------------------------------------------------------


async def load(
    url: str, bodies: list[bytes], concurrency: int, duration: float, warmup: float
) -> dict:
    """Closed loop: ``concurrency`` clients each send, wait, send again."""
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency
    )
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        t0 = time.perf_counter()
        measure_from = t0 + warmup
        end = measure_from + duration

        async def client(k: int) -> None:
            i = k
            while True:
                now = time.perf_counter()
                if now >= end:
                    return
                body = bodies[i % len(bodies)]
                i += concurrency
                try:
                    resp = await http.post(url, content=body, headers=headers)
                    ok = resp.status_code == 200
                    if not ok:
                        errors.append(f"{resp.status_code}: {resp.text[:200]}")
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                    ok = False
                done = time.perf_counter()
                if ok and now >= measure_from and done <= end:
                    latencies.append(done - now)

        await asyncio.gather(*(client(k) for k in range(concurrency)))
    return {"latencies": latencies, "errors": errors, "seconds": duration}


def summarize(runs: list[dict]) -> dict:
    import numpy as np

    lat = np.array([x for r in runs for x in r["latencies"]])
    seconds = sum(r["seconds"] for r in runs)
    errors = [e for r in runs for e in r["errors"]]
    return {
        "requests": int(lat.size),
        "rps": lat.size / seconds if seconds else 0.0,
        "p50_ms": float(np.percentile(lat, 50) * 1000) if lat.size else float("nan"),
        "p99_ms": float(np.percentile(lat, 99) * 1000) if lat.size else float("nan"),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def batch_counts(metrics_url: str) -> tuple[float, float]:
    """(model calls, requests) so far, from zebra serve's /metrics."""
    with urllib.request.urlopen(metrics_url, timeout=10) as resp:
        text = resp.read().decode()
    values = {}
    for line in text.splitlines():
        for name in (
            "zebra_serve_batch_requests_count",
            "zebra_serve_batch_requests_sum",
        ):
            if line.startswith(name + " "):
                values[name] = float(line.split()[-1])
    return (
        values.get("zebra_serve_batch_requests_count", 0.0),
        values.get("zebra_serve_batch_requests_sum", 0.0),
    )


def split_body(frame) -> bytes:
    return json.dumps(
        {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}
    ).encode()


# -- Main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="project with churn@prod")
    parser.add_argument("--telco", type=Path, default=TELCO)
    parser.add_argument(
        "--duration",
        type=float,
        default=10.0,
        help="measured seconds per round and scenario",
    )
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write results here")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="zebra-bench-")
    project = args.project
    if project is None:
        project = Path(tmp.name) / "project"
        project.mkdir()
        (project / "zebra.yaml").write_text("name: serving-benchmark\n")
        print("training and registering churn@prod ...", file=sys.stderr)
        tracking_uri = register_churn(project, args.telco)
    else:
        from zebraops_core.context import Context

        tracking_uri = Context(project_dir=project).settings.tracking_uri

    X, _ = telco_features(args.telco)
    single = [split_body(X.iloc[[i]]) for i in range(256)]
    batches = [split_body(X.iloc[i * 1000 : (i + 1) * 1000]) for i in range(4)]

    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MLFLOW_TRACKING_URI"] = tracking_uri
    zport, mport = free_port(), free_port()
    logs = Path(tmp.name)
    zebra = start(
        [
            str(BIN / "zebra"),
            "--project",
            str(project),
            "serve",
            "churn",
            "--port",
            str(zport),
        ],
        env,
        logs / "zebra.log",
    )
    mlflow = start(
        [
            str(BIN / "mlflow"),
            "models",
            "serve",
            "-m",
            "models:/churn@prod",
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(mport),
        ],
        env,
        logs / "mlflow.log",
    )
    targets = {
        "zebra serve": f"http://127.0.0.1:{zport}/predict",
        "mlflow models serve": f"http://127.0.0.1:{mport}/invocations",
    }
    try:
        zready = wait_http(f"http://127.0.0.1:{zport}/ready", zebra)
        mready = wait_http(f"http://127.0.0.1:{mport}/ping", mlflow)
        print(
            f"ready after: zebra serve {zready:.1f}s, mlflow models serve "
            f"{mready:.1f}s",
            file=sys.stderr,
        )
        scenarios = {
            "1 row, concurrency 8": (single, 8),
            "1,000 rows, concurrency 2": (batches, 2),
        }
        results: dict[str, dict[str, dict]] = {}
        per_call: dict[str, float] = {}
        metrics_url = f"http://127.0.0.1:{zport}/metrics"
        for scenario, (bodies, conc) in scenarios.items():
            calls0, reqs0 = batch_counts(metrics_url)
            runs: dict[str, list[dict]] = {name: [] for name in targets}
            for r in range(args.rounds):
                order = list(targets) if r % 2 == 0 else list(targets)[::-1]
                for name in order:
                    print(f"{scenario}: {name} round {r + 1}", file=sys.stderr)
                    runs[name].append(
                        asyncio.run(
                            load(
                                targets[name], bodies, conc, args.duration, args.warmup
                            )
                        )
                    )
            results[scenario] = {name: summarize(rs) for name, rs in runs.items()}
            calls1, reqs1 = batch_counts(metrics_url)
            per_call[scenario] = (reqs1 - reqs0) / max(calls1 - calls0, 1)
    finally:
        stop(zebra)
        stop(mlflow)

    print(
        f"\n{'scenario':28} {'server':22} {'req/s':>9} {'p50 ms':>9} "
        f"{'p99 ms':>9} {'requests':>9} {'errors':>7}"
    )
    for scenario, per in results.items():
        for name, s in per.items():
            print(
                f"{scenario:28} {name:22} {s['rps']:9.1f} {s['p50_ms']:9.1f} "
                f"{s['p99_ms']:9.1f} {s['requests']:9d} {s['errors']:7d}"
            )
            if s["first_error"]:
                print(f"    first error: {s['first_error']}")
    print()
    for scenario, per in results.items():
        z, m = per["zebra serve"], per["mlflow models serve"]
        rps = z["rps"] / m["rps"] if m["rps"] else float("inf")
        p99 = z["p99_ms"] / m["p99_ms"] if m["p99_ms"] else float("nan")
        print(
            f"{scenario}: zebra/mlflow req/s ratio {rps:.2f}x, "
            f"p99 ratio {p99:.2f} (lower is better); zebra serve batched "
            f"{per_call[scenario]:.1f} requests per model call"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    tmp.cleanup()


if __name__ == "__main__":
    main()
