"""Write splits to Parquet in a staging folder, then publish them atomically.

Splits are always written to a local staging folder first
(``cached_data/parquet/.staging-<host>-<pid>-<random>/``), hashed as they are
written. Publishing renames that folder to ``parquet/<manifest_id>/`` (local
object store) or uploads its files there (remote object store). A staging
folder is never read as a result; one left by a killed process is removed by
the next ingest.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .hashing import HashingWriter

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

log = logging.getLogger(__name__)

STAGING_PREFIX = ".staging-"
#: Rows buffered per split before a Parquet row group is written.
FLUSH_ROWS = 256 * 1024


@attrs.frozen
class WrittenSplit:
    name: str
    path: str
    rows: int
    sha256: str
    size_bytes: int
    hash_seconds: float = 0.0


def new_staging_dir(parquet_root: Path) -> Path:
    """A fresh staging folder named after this host and process."""
    parquet_root.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(parquet_root)
    name = (
        f"{STAGING_PREFIX}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    )
    path = parquet_root / name
    path.mkdir()
    return path


def clean_stale_staging(parquet_root: Path) -> None:
    """Remove staging folders whose process on this host is gone."""
    host = socket.gethostname()
    for folder in parquet_root.glob(f"{STAGING_PREFIX}*"):
        rest = folder.name[len(STAGING_PREFIX) :]
        try:
            owner_host, pid_text, _ = rest.rsplit("-", 2)
            pid = int(pid_text)
        except ValueError:
            continue
        if owner_host != host or _alive(pid):
            continue
        log.info("removing staging folder %s left by a stopped ingest", folder)
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SplitWriters:
    """One Parquet writer per split, fed with batches and a split index."""

    def __init__(
        self,
        folder: Path,
        names: list[str],
        schema: pa.Schema,
        metadata: dict[str, str] | None = None,
    ) -> None:
        self.folder = folder
        self.names = names
        self.schema = schema.with_metadata(metadata or {})
        self._buffers: list[list[pa.RecordBatch]] = [[] for _ in names]
        self._buffered = [0] * len(names)
        self._rows = [0] * len(names)
        self._writers: list[Any] = [None] * len(names)
        self._streams: list[HashingWriter | None] = [None] * len(names)

    def write(self, batch: pa.RecordBatch, assignment: np.ndarray) -> None:
        import pyarrow as pa

        if len(self.names) == 1:
            self._add(0, batch)
            return
        for i in range(len(self.names)):
            mask = assignment == i
            count = int(mask.sum())
            if count == 0:
                continue
            part = batch if count == batch.num_rows else batch.filter(pa.array(mask))
            self._add(i, part)

    def _add(self, i: int, part: pa.RecordBatch) -> None:
        self._buffers[i].append(part)
        self._buffered[i] += part.num_rows
        self._rows[i] += part.num_rows
        if self._buffered[i] >= FLUSH_ROWS:
            self._flush(i)

    def _writer(self, i: int) -> Any:
        import pyarrow.parquet as pq

        if self._writers[i] is None:
            path = self.folder / f"{self.names[i]}.parquet"
            stream = HashingWriter(open(path, "wb"))  # noqa: SIM115
            self._streams[i] = stream
            self._writers[i] = pq.ParquetWriter(
                stream,
                self.schema,
                compression="snappy",
                write_statistics=True,
            )
        return self._writers[i]

    def _flush(self, i: int) -> None:
        import pyarrow as pa

        writer = self._writer(i)
        if self._buffers[i]:
            table = pa.Table.from_batches(self._buffers[i], schema=self.schema)
            writer.write_table(table, row_group_size=FLUSH_ROWS * 2)
        self._buffers[i] = []
        self._buffered[i] = 0

    def close(self) -> list[WrittenSplit]:
        written = []
        for i, name in enumerate(self.names):
            self._flush(i)
            self._writers[i].close()
            stream = self._streams[i]
            assert stream is not None
            stream.close()
            written.append(
                WrittenSplit(
                    name=name,
                    path=str(self.folder / f"{name}.parquet"),
                    rows=self._rows[i],
                    sha256=stream.hasher.hexdigest(),
                    size_bytes=stream.bytes_written,
                    hash_seconds=stream.hash_seconds,
                )
            )
        return written

    def abort(self) -> None:
        for writer, stream in zip(self._writers, self._streams, strict=True):
            for thing in (writer, stream):
                if thing is not None:
                    try:
                        thing.close()
                    except Exception:  # already failing: keep the first error
                        log.debug("closing a writer failed", exc_info=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def publish_local(staging: Path, final: Path) -> None:
    """Rename the staging folder to its final name.

    A folder already there without a manifest is an orphan from a process
    killed between the rename and the manifest write: it is replaced.
    """
    if final.exists():
        log.warning("replacing %s, left without a manifest", final)
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, final)


def publish_remote(staging: Path, target: str, storage_options: dict[str, Any]) -> None:
    """Upload the staged files under ``target`` (s3://..., gs://...)."""
    import fsspec

    from .progress import byte_progress

    fs, root = fsspec.core.url_to_fs(target, **storage_options)
    files = sorted(staging.iterdir())
    total = sum(p.stat().st_size for p in files)
    done = 0
    with byte_progress(f"Uploading to {target}", total) as bar:
        for path in files:
            fs.put_file(str(path), f"{root}/{path.name}")
            done += path.stat().st_size
            bar.update(completed=done)
    shutil.rmtree(staging, ignore_errors=True)
