"""Where manifests live and how they are found.

The JSON file ``cached_data/manifests/<id>.json`` is the source of truth
(plus a copy next to the Parquet files when the object store is remote); the
state store's ``manifests`` table indexes them and ``source_fingerprints``
remembers which cheap source identity produced which manifest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, SpecError

if TYPE_CHECKING:
    from ..context import Context
    from ..specs import Manifest

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def manifest_path(ctx: Context, manifest_id: str) -> Path:
    if not ID_PATTERN.match(manifest_id):
        raise NotFound(
            f"'{manifest_id}' is not a manifest id",
            hint="ids look like <dataset_id>-<12 hex>",
        )
    return ctx.project.manifests_dir / f"{manifest_id}.json"


def parquet_uri(ctx: Context, manifest_id: str, *parts: str) -> str:
    return ctx.settings.object_uri("parquet", manifest_id, *parts)


def remote_manifest_uri(ctx: Context, manifest_id: str) -> str:
    return parquet_uri(ctx, manifest_id, "manifest.json")


def write_new_file(path: Path, text: str) -> bool:
    """Write ``path`` atomically, never replacing an existing file.

    :return: ``False`` when the file already existed (nothing written).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return False
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # fails if the file appeared meanwhile
    except FileExistsError:
        return False
    except OSError:  # no hard links on this filesystem
        if path.exists():
            return False
        os.replace(tmp, path)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return True


def write_remote(uri: str, text: str, storage_options: dict[str, Any]) -> None:
    import fsspec

    with fsspec.open(uri, "w", encoding="utf-8", **storage_options) as fh:
        fh.write(text)


def load_manifest_by_id(ctx: Context, manifest_id: str) -> Manifest:
    """The manifest with this id: the local file, else the object store's
    copy (cached locally once fetched)."""
    from ..specs import load_manifest

    path = manifest_path(ctx, manifest_id)
    if path.is_file():
        return load_manifest(path)
    if is_remote(ctx.settings.object_store):
        import fsspec

        uri = remote_manifest_uri(ctx, manifest_id)
        try:
            with fsspec.open(
                uri, "r", encoding="utf-8", **ctx.settings.storage_options
            ) as fh:
                text = fh.read()
        except FileNotFoundError:
            pass
        else:
            write_new_file(path, text)
            return load_manifest(path)
    known = list_manifest_ids(ctx)
    raise NotFound(
        f"no manifest '{manifest_id}'"
        + (f" (known: {', '.join(known[-5:])})" if known else ""),
        hint="list manifests with `zebra list datasets`, or run `zebra ingest`",
    )


def latest_manifest(ctx: Context, dataset_id: str) -> Manifest:
    """The most recently created manifest of a dataset."""
    import sqlalchemy as sa

    from ..state import tables

    with ctx.store.begin() as conn:
        row = conn.execute(
            sa.select(tables.manifests.c.id)
            .where(tables.manifests.c.dataset_id == dataset_id)
            .order_by(tables.manifests.c.created_at.desc())
            .limit(1)
        ).first()
    if row is not None:
        return load_manifest_by_id(ctx, row.id)
    # Not indexed (state reset, copied project): newest file on disk.
    found = []
    for path in ctx.project.manifests_dir.glob(f"{dataset_id}-*.json"):
        with contextlib.suppress(SpecError):
            from ..specs import load_manifest

            manifest = load_manifest(path)
            if manifest.dataset_id == dataset_id:
                found.append(manifest)
    if found:
        return max(found, key=lambda m: m.created_at)
    raise NotFound(
        f"dataset '{dataset_id}' has no manifest yet",
        hint=f"run `zebra ingest {dataset_id}`",
    )


def list_manifest_ids(ctx: Context) -> list[str]:
    return [row["id"] for row in list_manifests(ctx)]


def list_manifests(ctx: Context, dataset_id: str | None = None) -> list[dict]:
    """Index rows, oldest first: id, dataset_id, created_at, source_uri,
    rows, uri, summary."""
    import sqlalchemy as sa

    from ..state import tables

    query = sa.select(tables.manifests).order_by(tables.manifests.c.created_at)
    if dataset_id:
        query = query.where(tables.manifests.c.dataset_id == dataset_id)
    with ctx.store.begin() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def record(ctx: Context, manifest: Manifest, uri: str) -> None:
    """Index a manifest in the state store (once)."""
    import sqlalchemy as sa

    from ..state import tables

    summary = {
        "rows": {name: s.rows for name, s in manifest.splits.items()},
        "uris": {name: s.uri for name, s in manifest.splits.items()},
        "content_hash": manifest.source.content_hash,
        "coercions": dict(manifest.coercions),
    }
    with ctx.store.begin() as conn:
        exists = conn.execute(
            sa.select(tables.manifests.c.id).where(tables.manifests.c.id == manifest.id)
        ).first()
        if exists is None:
            conn.execute(
                tables.manifests.insert().values(
                    id=manifest.id,
                    dataset_id=manifest.dataset_id,
                    created_at=manifest.created_at,
                    source_uri=manifest.source.uri,
                    rows=sum(s.rows for s in manifest.splits.values()),
                    uri=uri,
                    summary=summary,
                )
            )


def remember_fingerprint(
    ctx: Context,
    dataset_id: str,
    source_uri: str,
    fingerprint: str | None,
    definition_hash: str,
    manifest_id: str,
) -> None:
    if not fingerprint:
        return
    import sqlalchemy as sa

    from ..state import tables, utcnow

    t = tables.source_fingerprints
    key = sa.and_(
        t.c.dataset_id == dataset_id,
        t.c.source_uri == source_uri,
        t.c.fingerprint == fingerprint,
        t.c.definition_hash == definition_hash,
    )
    with ctx.store.begin() as conn:
        conn.execute(t.delete().where(key))
        conn.execute(
            t.insert().values(
                dataset_id=dataset_id,
                source_uri=source_uri,
                fingerprint=fingerprint,
                definition_hash=definition_hash,
                manifest_id=manifest_id,
                recorded_at=utcnow(),
            )
        )


def fingerprint_hit(
    ctx: Context,
    dataset_id: str,
    source_uri: str,
    fingerprint: str | None,
    definition_hash: str,
) -> str | None:
    """The manifest id recorded for this exact source identity, if any."""
    if not fingerprint:
        return None
    import sqlalchemy as sa

    from ..state import tables

    t = tables.source_fingerprints
    with ctx.store.begin() as conn:
        row = conn.execute(
            sa.select(t.c.manifest_id).where(
                t.c.dataset_id == dataset_id,
                t.c.source_uri == source_uri,
                t.c.fingerprint == fingerprint,
                t.c.definition_hash == definition_hash,
            )
        ).first()
    return row.manifest_id if row else None
