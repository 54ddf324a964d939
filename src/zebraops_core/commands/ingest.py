"""``zebra ingest DATASET_ID``: turn a data source into a versioned manifest."""

from __future__ import annotations

import click

from ..cli.output import echo_json, info, success, table


def ordered_splits(manifest) -> list:
    """(name, split) pairs: train, valid, test first, then the others."""
    rank = {"train": 0, "valid": 1, "test": 2}
    return sorted(manifest.splits.items(), key=lambda kv: (rank.get(kv[0], 3), kv[0]))


def manifest_summary(manifest, created: bool | None = None) -> dict:
    """What ``--json`` prints: id, rows per split, URIs."""
    data = {
        "id": manifest.id,
        "dataset_id": manifest.dataset_id,
        "created_at": manifest.created_at,
        "source": manifest.source.uri,
        "content_hash": manifest.source.content_hash,
        "rows": {name: s.rows for name, s in ordered_splits(manifest)},
        "uris": {name: s.uri for name, s in ordered_splits(manifest)},
        "coercions": dict(manifest.coercions),
    }
    if created is not None:
        data["created"] = created
    return data


@click.command("ingest")
@click.argument("dataset_id")
@click.option(
    "--source",
    metavar="URI",
    help="Ingest this file, URL or query instead of the definition's "
    "(same schema); recorded in the manifest. For SQL: the query, or @FILE.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Read and hash the source even if its fingerprint is unchanged.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
def ingest(
    ctx, dataset_id: str, source: str | None, verify: bool, as_json: bool
) -> None:
    """Validate, split and materialize DATASET_ID (data_sources/<id>.yaml).

    An unchanged source returns its existing manifest at once; a changed one
    gets a new manifest id. Manifests are never overwritten.
    """
    from ..datasets import ingest as run

    manifest, created = run(ctx, dataset_id, source=source, verify=verify)
    summary = manifest_summary(manifest, created)
    if as_json:
        echo_json(summary)
        return
    for column, count in sorted(manifest.coercions.items()):
        info(f"{column}: {count} blank value(s) became null")
    if created:
        success(f"created manifest {manifest.id}")
    else:
        info(f"source unchanged: manifest {manifest.id} already exists")
    table(
        manifest.id,
        ["split", "rows", "uri"],
        [(name, f"{s.rows:,}", s.uri) for name, s in ordered_splits(manifest)],
    )
