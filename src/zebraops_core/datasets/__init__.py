"""Datasets: ingest sources into immutable, content-addressed manifests.

Light at import: heavy modules load inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..context import Context
    from ..specs import Manifest

__all__ = [
    "ingest",
    "latest_manifest",
    "list_manifests",
    "load_manifest_by_id",
    "read_split",
    "resolve_manifest",
]


def ingest(
    ctx: Context, dataset_id: str, source: str | None = None, verify: bool = False
) -> tuple[Manifest, bool]:
    """Ingest a dataset; return its manifest and whether it is new.

    :param source: another file, URL or query of the same shape than the
        definition's (recorded in the manifest).
    :param verify: read and hash the source even when its fingerprint says it
        is unchanged.
    """
    from .flow import run_ingest

    outcome = run_ingest(ctx, dataset_id, source=source, verify=verify)
    return outcome.manifest, outcome.created


def load_manifest_by_id(ctx: Context, manifest_id: str) -> Manifest:
    from .registry import load_manifest_by_id as _load

    return _load(ctx, manifest_id)


def latest_manifest(ctx: Context, dataset_id: str) -> Manifest:
    from .registry import latest_manifest as _latest

    return _latest(ctx, dataset_id)


def resolve_manifest(ctx: Context, ref: str) -> Manifest:
    """A manifest id, or a dataset id meaning its latest manifest."""
    if ref in ctx.project.dataset_ids():
        return latest_manifest(ctx, ref)
    return load_manifest_by_id(ctx, ref)


def list_manifests(ctx: Context, dataset_id: str | None = None) -> list[dict]:
    from .registry import list_manifests as _list

    return _list(ctx, dataset_id)


def read_split(ctx: Context, manifest: Manifest, split: str) -> Any:
    """One split as a pandas DataFrame (local or object-store URI)."""
    import pandas as pd

    from ..errors import NotFound

    if split not in manifest.splits:
        raise NotFound(
            f"manifest {manifest.id} has no split '{split}' "
            f"(splits: {', '.join(manifest.splits)})"
        )
    uri = manifest.splits[split].uri
    options = ctx.settings.storage_options if "://" in uri else None
    return pd.read_parquet(uri, storage_options=options)
