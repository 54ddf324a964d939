"""``zebra list datasets`` and ``zebra show dataset ID``."""

from __future__ import annotations

import click

from ..cli.output import echo_json, info, table


@click.command("datasets")
@click.option("--dataset", "dataset_id", help="Only this dataset's manifests.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_obj
def datasets(ctx, dataset_id: str | None, as_json: bool) -> None:
    """List ingested manifests, oldest first (id, source, rows, created)."""
    from ..datasets import list_manifests

    rows = list_manifests(ctx, dataset_id)
    if as_json:
        echo_json(
            [
                {
                    "id": r["id"],
                    "dataset_id": r["dataset_id"],
                    "source": r["source_uri"],
                    "rows": r["rows"],
                    "splits": (r["summary"] or {}).get("rows", {}),
                    "created_at": r["created_at"],
                    "uri": r["uri"],
                }
                for r in rows
            ]
        )
        return
    if not rows:
        defined = ", ".join(ctx.project.dataset_ids()) or "none"
        info(f"no manifests yet (datasets defined: {defined}); run `zebra ingest ID`")
        return
    table(
        "Datasets",
        ["id", "source", "rows", "created"],
        [(r["id"], r["source_uri"], f"{r['rows']:,}", r["created_at"]) for r in rows],
    )


def _stat_line(stats: dict) -> str:
    if "mean" in stats:
        return (
            f"min {stats.get('min')}  max {stats.get('max')}  mean {stats['mean']:.4g}"
            if stats["mean"] is not None
            else ""
        )
    if "top" in stats:
        top = ", ".join(f"{v} ({c})" for v, c in stats["top"][:3])
        return f"{stats.get('distinct')} distinct; top: {top}"
    if stats.get("high_cardinality"):
        return "identifier-like: mostly distinct values"
    if "true" in stats:
        return f"true {stats['true']} ({stats['true_share']:.1%})"
    if "min" in stats:
        return f"{stats['min']} .. {stats['max']}"
    return ""


@click.command("dataset")
@click.argument("ref", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.pass_obj
def show_dataset(ctx, ref: str, as_json: bool) -> None:
    """Show one manifest: schema, splits, stats, URIs.

    ID is a manifest id, or a dataset id for its latest manifest.
    """
    from ..datasets import resolve_manifest
    from ..specs import unstructure
    from .ingest import ordered_splits

    manifest = resolve_manifest(ctx, ref)
    if as_json:
        echo_json(unstructure(manifest))
        return
    src = manifest.source
    info(
        f"{manifest.id}  (dataset {manifest.dataset_id}, created {manifest.created_at})"
    )
    info(f"source: {src.uri} [{src.connector}]  content {src.content_hash}")
    table(
        "Splits",
        ["split", "rows", "size", "sha256", "uri"],
        [
            (n, f"{s.rows:,}", f"{s.size_bytes:,}", s.sha256[:16], s.uri)
            for n, s in ordered_splits(manifest)
        ],
    )
    columns = manifest.schema.get("columns", [])
    target = manifest.target_column
    types = {
        name: f"{dtype} (mapped)"
        for name, dtype in manifest.schema.get("arrow_types", {}).items()
        if name == target
    }
    first = "train" if "train" in manifest.stats else next(iter(manifest.stats), None)
    split_stats = manifest.stats.get(first, {}) if first else {}
    table(
        f"Schema and stats ({first} split)" if first else "Schema",
        ["column", "dtype", "missing", "coerced", "stats"],
        [
            (
                c["name"] + (" (target)" if c["name"] == target else ""),
                types.get(c["name"], c["dtype"]),
                split_stats.get(c["name"], {}).get("missing", ""),
                manifest.coercions.get(c["name"], ""),
                _stat_line(split_stats.get(c["name"], {})),
            )
            for c in columns
        ],
    )
