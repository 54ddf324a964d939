"""``zebra list runs``: training runs in MLflow, newest first."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import click

from ..cli.output import echo_json, info, table
from ..tracking import TAG_BEST_RUN


def collect_runs(ctx: Any, model: str | None, limit: int) -> list[dict[str, Any]]:
    """Runs tagged ``zebra.model`` in the experiments of the project's
    models (or of ``model``), newest first."""
    from .. import tracking

    project = ctx.project
    names = [model] if model else project.model_names()
    specs = {name: project.load_model(name) for name in names}
    client = tracking.client(ctx.settings)
    experiments = {}
    for spec in specs.values():
        exp = client.get_experiment_by_name(spec.experiment_name)
        if exp is not None:
            experiments[exp.experiment_id] = spec
    if not experiments:
        return []
    filter_string = (
        f"tags.`{tracking.TAG_MODEL}` = '{model}'"
        if model
        else (f"tags.`{tracking.TAG_MODEL}` != ''")
    )
    runs = client.search_runs(
        list(experiments),
        filter_string=filter_string,
        order_by=["attributes.start_time DESC"],
        max_results=limit,
    )
    rows = []
    for run in runs:
        tags = run.data.tags
        spec = specs.get(tags.get(tracking.TAG_MODEL, ""))
        primary = spec.primary_metric if spec else None
        value = run.data.metrics.get(primary.name) if primary else None
        manifests = {
            key[len(tracking.TAG_DATASET_PREFIX) :]: mid
            for key, mid in tags.items()
            if key.startswith(tracking.TAG_DATASET_PREFIX)
        }
        created = datetime.fromtimestamp(run.info.start_time / 1000, timezone.utc)
        rows.append(
            {
                "run_id": run.info.run_id,
                "model": tags.get(tracking.TAG_MODEL),
                "status": run.info.status,
                "primary_metric": primary.name if primary else None,
                "value": value,
                "manifests": manifests,
                "parent_run_id": tags.get("mlflow.parentRunId"),
                "best_run_id": tags.get(TAG_BEST_RUN),
                "model_version": tags.get("zebra.model_version"),
                "runner": tags.get(tracking.TAG_RUNNER),
                "created": created.isoformat(timespec="seconds"),
                "error": (tags.get("zebra.error") or "").splitlines()[0:1] or None,
            }
        )
    for row in rows:
        if row["error"]:
            row["error"] = row["error"][0]
    return rows


def _manifests(by_role: dict[str, str]) -> str:
    """``telco-ab12 (train, valid, test)``: each manifest once, with roles."""
    order = {"train": 0, "valid": 1, "test": 2}
    grouped: dict[str, list[str]] = {}
    for role in sorted(by_role, key=lambda r: order.get(r, 9)):
        grouped.setdefault(by_role[role], []).append(role)
    return " ".join(f"{mid} ({', '.join(roles)})" for mid, roles in grouped.items())


def _kind(row: dict[str, Any]) -> str:
    if row["best_run_id"]:
        return f" (grid; best: {row['best_run_id'][:8]})"
    return " (child)" if row["parent_run_id"] else ""


@click.command("runs")
@click.option("--model", "model", help="Only this model's runs.")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_obj
def runs(ctx, model: str | None, limit: int, as_json: bool) -> None:
    """List training runs: id, status, primary metric, manifests, created."""
    rows = collect_runs(ctx, model, limit)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        info("no training runs yet; start one with `zebra train MODEL`")
        return
    table(
        "Training runs",
        ["run id", "model", "status", "metric", "manifests", "version", "created"],
        [
            [
                r["run_id"] + _kind(r),
                r["model"],
                r["status"],
                f"{r['primary_metric']}={r['value']:.4f}"
                if r["value"] is not None
                else (r["primary_metric"] or ""),
                _manifests(r["manifests"]),
                "" if r["best_run_id"] else r["model_version"] or "",
                r["created"],
            ]
            for r in rows
        ],
    )
