"""``zebra list models`` and ``zebra show model NAME``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from ..cli.output import echo_json, info, table

log = logging.getLogger(__name__)


def _summaries(project: Any) -> list[dict[str, Any]]:
    from ..errors import SpecError

    rows = []
    for name in project.model_names():
        path = project.models_dir / name / "model.yaml"
        row: dict[str, Any] = {"name": name, "path": project.relative(path)}
        try:
            spec = project.load_model(name)
        except SpecError as exc:
            row.update(ok=False, problems=exc.problems)
        else:
            primary = spec.primary_metric
            row.update(
                ok=True,
                type=spec.type,
                entrypoint=spec.entrypoint,
                datasets=dict(spec.datasets),
                primary_metric=(
                    {
                        "name": primary.name,
                        "direction": primary.direction,
                        "threshold": primary.threshold,
                    }
                    if primary
                    else None
                ),
                experiment=spec.experiment_name,
            )
        rows.append(row)
    return rows


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_obj
def models(ctx, as_json: bool) -> None:
    """List the models of the project (models/*/model.yaml)."""
    rows = _summaries(ctx.project)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        info("no models yet; add one with `zebra new model NAME`")
        return
    table(
        None,
        ["model", "type", "entrypoint", "datasets", "primary metric"],
        [
            (
                r["name"],
                r.get("type", "invalid"),
                r.get("entrypoint", "(see `zebra validate`)"),
                ", ".join(f"{k}={v}" for k, v in r.get("datasets", {}).items()),
                _metric(r.get("primary_metric")),
            )
            for r in rows
        ],
    )


def _metric(metric: dict[str, Any] | None) -> str:
    if not metric:
        return ""
    maximize = metric["direction"] == "maximize"
    text = f"{metric['name']} {'↑' if maximize else '↓'}"
    if metric["threshold"] is not None:
        text += f" ({'>=' if maximize else '<='} {metric['threshold']})"
    return text


def registry_info(settings: Any, name: str) -> dict[str, Any] | None:
    """Registered versions and aliases, or None when there is no registry
    yet (MLflow is imported only when its database exists)."""
    uri = settings.tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///") :]).exists():
        return None
    from ..tracking import client

    c = client(settings)
    try:
        model = c.get_registered_model(name)
    except Exception as exc:  # MlflowException: not registered
        log.debug("no registered model %s: %s", name, exc)
        return {"aliases": {}, "versions": []}
    versions = c.search_model_versions(f"name = '{name}'")
    return {
        "aliases": {
            a: str(v) for a, v in (getattr(model, "aliases", {}) or {}).items()
        },
        "versions": [
            {
                "version": str(v.version),
                "run_id": v.run_id,
                "status": v.status,
                "created": v.creation_timestamp,
            }
            for v in sorted(versions, key=lambda v: int(v.version), reverse=True)
        ],
    }


@click.command("model")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON.")
@click.option(
    "--no-registry",
    is_flag=True,
    help="Skip registered versions (does not import MLflow).",
)
@click.pass_obj
def show_model(ctx, name: str, as_json: bool, no_registry: bool) -> None:
    """Show one model's spec, and its registered versions and aliases."""
    from ..specs import spec_hash, unstructure

    project = ctx.project
    spec = project.load_model(name)
    data: dict[str, Any] = {
        "name": name,
        "path": project.relative(project.model_path(name)),
        "spec_hash": spec_hash(spec),
        "spec": unstructure(spec),
    }
    if not no_registry:
        try:
            data["registry"] = registry_info(ctx.settings, name)
        except Exception as exc:  # an unreachable server must not hide the spec
            click.secho(
                f"Warning: registry not available: {exc}", fg="yellow", err=True
            )
            data["registry"] = None
    if as_json:
        echo_json(data)
        return
    s = data["spec"]
    rows = [
        ("path", data["path"]),
        ("type", s["type"]),
        ("entrypoint", s["entrypoint"]),
        ("datasets", ", ".join(f"{k}={v}" for k, v in s["datasets"].items())),
        ("experiment", spec.experiment_name),
        ("metrics", ", ".join(_metric(m) for m in s["metrics"]) or "-"),
        (
            "resources",
            f"{s['resources']['accelerator']} x{s['resources']['gpu_count']}",
        ),
        (
            "promotion",
            f"staging alias '{s['promotion']['alias_staging']}', "
            f"prod alias '{s['promotion']['alias_prod']}'",
        ),
        ("spec hash", data["spec_hash"]),
    ]
    if s["hyperparams"]["grid"]:
        rows.append(
            ("grid", ", ".join(f"{k}={v}" for k, v in s["hyperparams"]["grid"].items()))
        )
    if s["notes"]:
        rows.append(("notes", s["notes"]))
    reg = data.get("registry")
    if reg:
        rows.append(
            (
                "aliases",
                ", ".join(f"{a}=v{v}" for a, v in reg["aliases"].items()) or "-",
            )
        )
        rows.append(
            ("versions", ", ".join(v["version"] for v in reg["versions"]) or "-")
        )
    elif "registry" in data:
        rows.append(("versions", "none (nothing trained yet)"))
    table(f"model {name}", ["field", "value"], rows)
