"""The ingest flow: describe, skip if unchanged, materialize, stats, publish.

The manifest id is ``<dataset_id>-<12 hex>`` of SHA-256 over the source's
content hash and the hash of the definition parts that shape the output
(schema, splits, format, parsing options). Same bytes + same definition =>
same id, whatever the path they came from.

A fast no-op: when the connector's cheap fingerprint (size + mtime, ETag...)
of the same source URI under the same definition hash was recorded for a
manifest whose files exist, that manifest is returned without reading the
source. ``verify=True`` reads and hashes anyway.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import attrs

from ..errors import DataError
from ..orchestration import flow, task
from . import registry
from .materialize import WrittenSplit

log = logging.getLogger(__name__)

#: Bump when the same input would be materialized differently.
OUTPUT_FORMAT_VERSION = 1
#: Options that do not change the content read (where or how to connect).
IDENTITY_FREE_OPTIONS = ("storage_options", "url_env", "fingerprint_query")


@attrs.frozen
class IngestPlan:
    project_dir: str
    profile: str | None
    dataset_id: str
    definition: Any  # DatasetDefinition, storage options resolved
    uri: str  # what the connector reads
    source_uri: str  # what the manifest records
    fingerprint: str | None
    size_bytes: int | None
    definition_hash: str


@attrs.frozen
class Staged:
    staging_dir: str
    splits: tuple[WrittenSplit, ...]
    rows: int
    coercions: dict[str, int]
    content_hash: str
    size_bytes: int | None
    timings: dict[str, float]
    #: column -> Arrow type of the materialized column.
    types: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class IngestOutcome:
    manifest: Any  # Manifest
    created: bool
    timings: dict[str, float] = attrs.field(factory=dict)


def _ctx(project_dir: str, profile: str | None) -> Any:
    """A context per step: steps may run in other threads or processes."""
    from ..context import Context

    return Context(project_dir=Path(project_dir), profile_name=profile)


def definition_hash(definition: Any) -> str:
    from ..specs import spec_hash

    options = {
        k: v for k, v in definition.options.items() if k not in IDENTITY_FREE_OPTIONS
    }
    return spec_hash(
        {
            "version": OUTPUT_FORMAT_VERSION,
            "connector": definition.connector,
            "schema": definition.schema,
            "splits": definition.splits,
            "format": definition.format,
            "options": options,
        }
    )


def manifest_id(dataset_id: str, content_hash: str, def_hash: str) -> str:
    digest = hashlib.sha256(f"{content_hash}|{def_hash}".encode()).hexdigest()
    return f"{dataset_id}-{digest[:12]}"


def _connector(definition: Any) -> Any:
    from ..plugins import get_implementation

    return get_implementation("connector", definition.connector)()


def _resolve_uri(ctx: Any, definition: Any, source: str | None) -> str:
    if definition.connector == "sql":
        if source and source.startswith("@"):
            return Path(source[1:]).read_text(encoding="utf-8")
        return source or definition.query or ""
    raw = source or definition.path
    if raw is None:
        raise DataError(
            f"dataset '{definition.id}' has no path",
            hint="set `path` in the definition or pass --source",
        )
    if "://" in raw:
        return raw
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (Path.cwd() if source else ctx.project.root) / path
    return str(path.resolve())


def _with_storage_options(ctx: Any, definition: Any, uri: str) -> Any:
    """Use the profile's storage options for a source on the object store's
    protocol when the definition gives none."""
    options = dict(definition.options)
    store = ctx.settings.object_store
    if (
        not options.get("storage_options")
        and "://" in uri
        and "://" in store
        and uri.split("://", 1)[0] == store.split("://", 1)[0]
    ):
        options["storage_options"] = ctx.settings.storage_options
        return attrs.evolve(definition, options=options)
    return definition


# -- Steps ------------------------------------------------------------------


@task("describe-source")
def describe_source(
    project_dir: str, profile: str | None, dataset_id: str, source: str | None
) -> IngestPlan:
    ctx = _ctx(project_dir, profile)
    definition = ctx.project.load_dataset(dataset_id)
    uri = _resolve_uri(ctx, definition, source)
    definition = _with_storage_options(ctx, definition, uri)
    info = _connector(definition).describe(definition, uri)
    return IngestPlan(
        project_dir=project_dir,
        profile=profile,
        dataset_id=definition.id,
        definition=definition,
        uri=uri,
        source_uri=info.uri,
        fingerprint=info.fingerprint,
        size_bytes=info.size_bytes,
        definition_hash=definition_hash(definition),
    )


def _local(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


def _data_present(manifest: Any) -> bool:
    return all(
        _local(s.uri).is_file()
        for s in manifest.splits.values()
        if not registry.is_remote(s.uri)
    )


@task("check-unchanged")
def check_unchanged(plan: IngestPlan) -> Any | None:
    """The manifest already made from this unchanged source, or None."""
    from ..errors import NotFound

    ctx = _ctx(plan.project_dir, plan.profile)
    found = registry.fingerprint_hit(
        ctx, plan.dataset_id, plan.source_uri, plan.fingerprint, plan.definition_hash
    )
    if not found:
        return None
    try:
        manifest = registry.load_manifest_by_id(ctx, found)
    except NotFound:
        return None
    return manifest if _data_present(manifest) else None


def _staging_root(ctx: Any) -> Path:
    store = ctx.settings.object_store
    if registry.is_remote(store):
        return ctx.project.cached_data_dir / "parquet"
    return _local(store) / "parquet"


@task("materialize")
def materialize(plan: IngestPlan) -> Staged:
    """Read, validate, coerce, split and write Parquet to a staging folder."""
    from .materialize import SplitWriters, new_staging_dir
    from .progress import byte_progress
    from .splitting import Splitter
    from .validate import Validator

    ctx = _ctx(plan.project_dir, plan.profile)
    definition = plan.definition
    display = plan.source_uri if definition.connector == "sql" else plan.uri
    connector = _connector(definition)
    validator = Validator(definition, display)
    splitter = Splitter(definition, display)
    staging = new_staging_dir(_staging_root(ctx))
    writers = None
    start = time.perf_counter()
    try:
        with byte_progress(f"Ingesting {plan.dataset_id}", plan.size_bytes) as bar:
            for raw in connector.read(definition, plan.uri):
                batch = validator.convert(raw)
                if writers is None:
                    writers = SplitWriters(
                        staging,
                        splitter.names,
                        validator.schema,
                        {"zebraops.dataset_id": plan.dataset_id},
                    )
                writers.write(batch, splitter.assign(batch))
                bar.update(completed=getattr(connector, "bytes_read", 0))
        if writers is None or validator.rows == 0:
            raise DataError(
                f"{display}: no data rows", hint="the source has a header but no rows"
            )
        written = tuple(writers.close())
    except BaseException:
        if writers is not None:
            writers.abort()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    elapsed = time.perf_counter() - start
    hasher = connector.content_hasher()
    if hasher is not None:
        kind = getattr(connector, "content_hash_kind", "sha256")
        content_hash = f"{kind}:{hasher.hexdigest()}"
    else:
        joined = "|".join(f"{w.name}={w.sha256}" for w in written)
        content_hash = "sha256-splits:" + hashlib.sha256(joined.encode()).hexdigest()
    size = getattr(connector, "bytes_read", None) or plan.size_bytes
    duplicates = splitter.duplicate_keys()
    if duplicates:
        log.warning(
            "%s: split key column '%s' has %d duplicate value(s)",
            plan.dataset_id,
            splitter.column,
            duplicates,
        )
    for column, count in sorted(validator.coercions.items()):
        log.info(
            "%s: %d blank value(s) in '%s' became null", plan.dataset_id, count, column
        )
    return Staged(
        staging_dir=str(staging),
        splits=written,
        rows=validator.rows,
        coercions=dict(validator.coercions),
        content_hash=content_hash,
        size_bytes=size,
        types={f.name: str(f.type) for f in validator.schema},
        timings={
            "read_write_s": elapsed,
            "source_hash_s": float(getattr(connector, "hash_seconds", 0.0)),
            "split_hash_s": sum(w.hash_seconds for w in written),
        },
    )


@task("stats")
def compute_stats(staged: Staged) -> dict[str, dict[str, dict[str, Any]]]:
    from .stats import split_stats

    return {w.name: split_stats(Path(w.path)) for w in staged.splits}


@task("publish")
def publish(plan: IngestPlan, staged: Staged, stats: dict) -> tuple[Any, bool]:
    """Move the splits into place and write the manifest, last."""
    from ..specs import (
        Manifest,
        SourceRecord,
        SplitRecord,
        dump_manifest,
        load_manifest,
        unstructure,
    )
    from ..state import utcnow
    from .materialize import publish_local, publish_remote

    ctx = _ctx(plan.project_dir, plan.profile)
    settings = ctx.settings
    mid = manifest_id(plan.dataset_id, staged.content_hash, plan.definition_hash)
    staging = Path(staged.staging_dir)
    remote = registry.is_remote(settings.object_store)
    folder = registry.parquet_uri(ctx, mid)
    with ctx.store.lock(f"ingest:{plan.dataset_id}", timeout=600):
        path = registry.manifest_path(ctx, mid)
        if path.is_file():
            existing = load_manifest(path)
            if not remote and not _data_present(existing):
                log.warning("%s: restoring missing split files", mid)
                publish_local(staging, _local(folder))
            else:
                shutil.rmtree(staging, ignore_errors=True)
            registry.record(ctx, existing, _index_uri(ctx, mid, remote, path))
            _remember(ctx, plan, mid)
            return existing, False
        if remote:
            publish_remote(staging, folder, settings.storage_options)
        else:
            publish_local(staging, _local(folder))
        schema = unstructure(plan.definition.schema)
        schema["arrow_types"] = dict(staged.types)
        manifest = Manifest(
            id=mid,
            dataset_id=plan.dataset_id,
            created_at=utcnow(),
            source=SourceRecord(
                uri=plan.source_uri,
                connector=plan.definition.connector,
                fingerprint=plan.fingerprint,
                content_hash=staged.content_hash,
                size_bytes=staged.size_bytes,
            ),
            schema=schema,
            splits={
                w.name: SplitRecord(
                    rows=w.rows,
                    uri=f"{folder}/{w.name}.parquet",
                    sha256=w.sha256,
                    size_bytes=w.size_bytes,
                )
                for w in staged.splits
            },
            stats=stats,
            coercions=staged.coercions,
            hashes={"source": staged.content_hash, "definition": plan.definition_hash},
        )
        text = dump_manifest(manifest)
        if remote:
            registry.write_remote(
                registry.remote_manifest_uri(ctx, mid), text, settings.storage_options
            )
        registry.write_new_file(path, text)
        registry.record(ctx, manifest, _index_uri(ctx, mid, remote, path))
        _remember(ctx, plan, mid)
    return manifest, True


def _index_uri(ctx: Any, mid: str, remote: bool, path: Path) -> str:
    return registry.remote_manifest_uri(ctx, mid) if remote else str(path)


def _remember(ctx: Any, plan: IngestPlan, mid: str) -> None:
    registry.remember_fingerprint(
        ctx,
        plan.dataset_id,
        plan.source_uri,
        plan.fingerprint,
        plan.definition_hash,
        mid,
    )


# -- The flow -----------------------------------------------------------------


@flow("ingest")
def ingest_flow(
    project_dir: str,
    profile: str | None,
    dataset_id: str,
    source: str | None = None,
    verify: bool = False,
) -> IngestOutcome:
    from ..plugins import call_lifecycle

    start = time.perf_counter()
    plan = describe_source(project_dir, profile, dataset_id, source)
    existing = None if verify else check_unchanged(plan)
    if existing is not None:
        log.info("%s: source unchanged, manifest %s", dataset_id, existing.id)
        call_lifecycle(
            "after_ingest", dataset_id=plan.dataset_id, manifest=existing, created=False
        )
        return IngestOutcome(existing, False, {"total_s": time.perf_counter() - start})
    staged = materialize(plan)
    stats_start = time.perf_counter()
    stats = compute_stats(staged)
    stats_s = time.perf_counter() - stats_start
    manifest, created = publish(plan, staged, stats)
    call_lifecycle(
        "after_ingest", dataset_id=plan.dataset_id, manifest=manifest, created=created
    )
    timings = dict(staged.timings, stats_s=stats_s, total_s=time.perf_counter() - start)
    return IngestOutcome(manifest, created, timings)


def run_ingest(
    ctx: Any, dataset_id: str, source: str | None = None, verify: bool = False
) -> IngestOutcome:
    """Run the ingest flow (through Prefect when the profile has an API)."""
    project_dir = str(ctx.project.root)
    if (
        source
        and "://" not in source
        and not source.startswith("@")
        and ctx.project.load_dataset(dataset_id).connector != "sql"
    ):
        source = os.path.abspath(os.path.expanduser(source))
    return ingest_flow.run_in(
        ctx,
        project_dir,
        ctx.profile_name,
        dataset_id,
        source,
        verify,
    )
