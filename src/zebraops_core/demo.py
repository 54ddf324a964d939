"""``zebra demo``: the whole loop on the embedded default, end to end.

A tabular-churn project in a fresh folder, ingest, a small grid, eval, promote
to prod, serve in the background, a batch of predictions, a monitor run on a
drifted batch, then a summary of where everything is. No server to set up and
no Docker: MLflow and the state store are SQLite files inside the project.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from .context import Context
from .errors import RunFailed, ZebraError

log = logging.getLogger(__name__)

MODEL = "churn"
DATASET = "telco_churn"


@attrs.define
class DemoReport:
    project: Path
    manifest_id: str = ""
    rows: dict[str, int] = attrs.field(factory=dict)
    grid: list[dict[str, Any]] = attrs.field(factory=list)
    best_run: str = ""
    metrics: dict[str, float] = attrs.field(factory=dict)
    eval_report: str = ""
    version: str = ""
    verdicts: list[dict[str, Any]] = attrs.field(factory=list)
    served_url: str = ""
    predictions: int = 0
    positive_share: float = 0.0
    drift_share: float = 0.0
    recommendation: bool = False
    reasons: list[str] = attrs.field(factory=list)
    monitor_report: str = ""
    timings: dict[str, float] = attrs.field(factory=dict)
    wall_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["project"] = str(self.project)
        return data


def run_demo(
    *,
    data: Path | None = None,
    keep: Path | None = None,
    step: Callable[[str], Any] | None = None,
) -> DemoReport:
    """Run the loop; ``step(title)`` returns a context manager per step."""
    start = time.perf_counter()
    workdir = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="zebra-demo-"))
    if keep and workdir.exists() and any(workdir.iterdir()):
        raise ZebraError(
            f"{workdir} exists and is not empty",
            hint="pass a new folder to --keep, or remove this one",
        )
    report = DemoReport(project=workdir)
    step = step or _null_step

    def timed(name: str):
        return _Timed(report, name, step(name))

    # Project
    with timed("create the tabular-churn project"):
        from .templates import init_project

        init_project(workdir, example="tabular-churn")
        source = None
        if data is not None:
            source = str(Path(data).resolve())
        else:
            subprocess.run(
                [sys.executable, "generate_data.py", "--rows", "5000"],
                cwd=workdir,
                check=True,
                stdout=subprocess.DEVNULL,
            )
    ctx = Context(project_dir=workdir)

    # Data
    with timed("ingest"):
        from .datasets import ingest

        manifest, _ = ingest(ctx, DATASET, source=source)
        report.manifest_id = manifest.id
        report.rows = {name: s.rows for name, s in manifest.splits.items()}

    # Training
    with timed("train a grid"):
        from .training import train

        outcome = train(
            ctx, MODEL, grid=True, max_parallel=os.cpu_count() or 2, echo=False
        )
        best = outcome.best
        if best is None:
            raise RunFailed("no grid run of the demo model succeeded")
        report.best_run = best.run_id
        report.version = str(best.model_version or "")
        report.grid = [
            {"run_id": r.run_id, "params": dict(r.params), "metrics": dict(r.metrics)}
            for r in outcome.runs
        ]

    with timed("evaluate"):
        from .evaluation import evaluate

        evaluation = evaluate(ctx, MODEL, best.run_id)
        report.metrics = dict(evaluation.metrics)
        report.eval_report = str(evaluation.html_uri or "")

    with timed("promote to prod"):
        from .promotion import promote

        promotion = promote(ctx, MODEL, best.run_id, "prod")
        report.verdicts = [attrs.asdict(v) for v in promotion.verdicts]
        if not promotion.promoted:
            raise RunFailed("the demo model did not pass its prod gates")

    # Serving
    with timed("serve and predict"), _served(workdir) as url:
        report.served_url = url
        rows = _sample_rows(ctx, manifest, 200)
        answer = _post_json(f"{url}/predict", {"dataframe_records": rows})
        predictions = answer["predictions"]
        report.predictions = len(predictions)
        report.positive_share = round(
            sum(1 for p in predictions if p in (1, "1", True, "Yes"))
            / max(len(predictions), 1),
            3,
        )

    # Monitoring
    with timed("monitor a drifted batch"):
        from .monitoring import monitor

        drifted = _drifted_batch(ctx, manifest, workdir / "drifted_batch.csv")
        result = monitor(ctx, MODEL, current=str(drifted))
        report.drift_share = float(result.drift_share)
        report.recommendation = bool(result.recommendation)
        report.reasons = list(result.reasons)
        report.monitor_report = str(result.report_uri or "")

    report.wall_s = round(time.perf_counter() - start, 1)
    return report


class _Timed:
    def __init__(self, report: DemoReport, name: str, inner: Any) -> None:
        self.report, self.name, self.inner = report, name, inner

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()
        self.inner.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        self.report.timings[self.name] = round(time.perf_counter() - self.t0, 2)
        return self.inner.__exit__(*exc)


class _null_step:
    def __init__(self, _title: str) -> None:
        pass

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


class _served:
    """``zebra serve churn`` in the background; stopped cleanly on exit."""

    def __init__(self, project: Path) -> None:
        self.project = project

    def __enter__(self) -> str:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.log = open(self.project / ".zebraops" / "demo-serve.log", "wb")
        zebra = shutil.which("zebra", path=str(Path(sys.executable).parent))
        argv = [zebra] if zebra else [sys.executable, "-m", "zebraops_core.cli"]
        self.proc = subprocess.Popen(
            [*argv, "serve", MODEL, "--port", str(port)],
            cwd=self.project,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RunFailed(
                    f"zebra serve exited with {self.proc.returncode}; see "
                    f"{self.project / '.zebraops' / 'demo-serve.log'}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/ready", timeout=2) as r:
                    if r.status == 200:
                        return self.url
            except OSError:
                pass
            time.sleep(0.25)
        self.__exit__(None, None, None)
        raise RunFailed("zebra serve did not become ready within 120 s")

    def __exit__(self, *exc: Any) -> None:
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def _frame(ctx: Context, manifest: Any, split: str):
    import pandas as pd

    return pd.read_parquet(
        manifest.splits[split].uri,
        storage_options=ctx.settings.storage_options
        if "://" in manifest.splits[split].uri
        else None,
    )


def _sample_rows(ctx: Context, manifest: Any, n: int) -> list[dict[str, Any]]:
    frame = _frame(ctx, manifest, "valid").head(n)
    target = manifest.target_column
    if target in frame.columns:
        frame = frame.drop(columns=[target])
    return json.loads(frame.to_json(orient="records"))


def _drifted_batch(ctx: Context, manifest: Any, path: Path) -> Path:
    """The valid split with longer tenure, higher charges, more 2-year
    contracts: what a price change and a retention campaign would do."""
    import numpy as np

    frame = _frame(ctx, manifest, "valid").copy()
    rng = np.random.default_rng(7)
    frame["tenure"] = (frame["tenure"] + 24).clip(upper=96)
    frame["MonthlyCharges"] = frame["MonthlyCharges"] * 1.35 + 10
    flip = rng.random(len(frame)) < 0.6
    frame.loc[flip, "Contract"] = "Two year"
    frame.to_csv(path, index=False)
    return path


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        return json.loads(resp.read())
