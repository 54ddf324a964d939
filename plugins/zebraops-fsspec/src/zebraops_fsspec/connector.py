"""The ``file`` connector: CSV, Parquet and JSON Lines over fsspec.

Local paths, ``file://``, ``http(s)://``, ``s3://`` (s3fs; an endpoint URL for
MinIO or moto in ``options.storage_options``) and ``gs://`` (gcsfs).

Fingerprints (cheap identities that decide whether an unchanged source may be
skipped): size + mtime in nanoseconds for local files, ETag + size for s3,
generation/md5 + size for gs, ETag (or Last-Modified) + size for http. A
server giving none of these gets no fingerprint: the source is read every time.

The raw bytes are hashed with SHA-256 as they are parsed (one pass); for CSV
and JSON Lines the digest equals ``sha256sum`` of the file.
"""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

from zebraops_core.datasets.hashing import HashingReader, PrefixedReader
from zebraops_core.errors import DataError
from zebraops_core.interfaces import Connector, SourceInfo

from . import csvtools

if TYPE_CHECKING:
    import pyarrow as pa

    from zebraops_core.specs import DatasetDefinition

log = logging.getLogger(__name__)

#: Parser block size; pyarrow reads up to 32 blocks ahead (128 MB).
BLOCK_SIZE = 4 << 20
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


def detect_format(definition: DatasetDefinition, uri: str) -> str:
    if definition.format:
        return definition.format
    name = uri.split("?", 1)[0].lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, fmt in SUFFIX_FORMATS.items():
        if name.endswith(suffix):
            return fmt
    raise DataError(
        f"cannot tell the format of {uri} from its name",
        hint="set `format: csv` (or parquet, jsonl) in the dataset definition",
    )


class FileConnector(Connector):
    type_name: ClassVar[str] = "file"

    def __init__(self) -> None:
        self._reader: HashingReader | None = None

    # -- Progress and hashing, read by the ingest -----------------------

    @property
    def bytes_read(self) -> int:
        return self._reader.bytes_read if self._reader else 0

    @property
    def hash_seconds(self) -> float:
        return self._reader.hash_seconds if self._reader else 0.0

    def content_hasher(self) -> Any | None:
        """The SHA-256 object fed with the raw bytes of the last ``read``."""
        return self._reader.hasher if self._reader else None

    # -- Filesystems ------------------------------------------------------

    def _fs(self, definition: DatasetDefinition, uri: str):
        import fsspec

        options = dict(definition.options.get("storage_options") or {})
        try:
            return fsspec.core.url_to_fs(uri, **options)
        except ImportError as exc:
            raise DataError(
                f"cannot read {uri}: {exc}",
                hint="install the fsspec backend for this protocol (s3fs, gcsfs)",
            ) from None

    def _open_raw(self, definition: DatasetDefinition, uri: str) -> BinaryIO:
        fs, path = self._fs(definition, uri)
        if _is_local(fs):
            return open(path, "rb", buffering=0)  # noqa: SIM115 - caller closes
        return fs.open(path, "rb", block_size=BLOCK_SIZE, cache_type="readahead")

    # -- Connector --------------------------------------------------------

    def describe(self, definition: DatasetDefinition, uri: str) -> SourceInfo:
        fs, path = self._fs(definition, uri)
        try:
            info = fs.info(path)
        except FileNotFoundError:
            raise DataError(
                f"source not found: {uri}",
                hint="check `path` in the dataset definition or the --source URI",
            ) from None
        except Exception as exc:
            raise DataError(f"cannot reach source {uri}: {exc}") from None
        if info.get("type") == "directory":
            raise DataError(
                f"source {uri} is a folder, not a file",
                hint="point `path` or --source at one file",
            )
        size = info.get("size")
        return SourceInfo(
            uri=uri, fingerprint=_fingerprint(fs, path, info), size_bytes=size
        )

    def read(self, definition: DatasetDefinition, uri: str) -> Iterator[pa.RecordBatch]:
        fmt = detect_format(definition, uri)
        if fmt == "parquet":
            yield from self._read_parquet(definition, uri)
            return
        raw = self._open_raw(definition, uri)
        self._reader = HashingReader(raw)
        stream: BinaryIO = self._reader  # type: ignore[assignment]
        try:
            if uri.lower().split("?", 1)[0].endswith(".gz"):
                stream = gzip.GzipFile(fileobj=self._reader, mode="rb")  # type: ignore[assignment]
            if fmt == "csv":
                yield from self._read_csv(definition, uri, stream)
            else:
                yield from self._read_jsonl(uri, stream)
            # Drain what a reader left unread (trailing bytes) so the hash
            # covers the whole file.
            while self._reader.read(BLOCK_SIZE):
                pass
        finally:
            stream.close()
            self._reader.close()

    # -- CSV --------------------------------------------------------------

    def _read_csv(
        self, definition: DatasetDefinition, uri: str, stream: BinaryIO
    ) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        opts = definition.options
        declared = opts.get("encoding")
        encoding = declared or "utf-8"
        sample = stream.read(csvtools.SAMPLE_BYTES)
        if not sample:
            raise DataError(
                f"{uri}: the file is empty (0 bytes)",
                hint="check that the export finished writing",
            )
        more = len(sample) == csvtools.SAMPLE_BYTES
        text, bad = csvtools.decode_sample(sample, encoding, more)
        utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        if bad is not None:
            if not utf8:
                raise DataError(
                    f"{uri}: byte {bad} cannot be decoded as declared encoding "
                    f"'{declared}'",
                    hint="check options.encoding",
                )
            raise csvtools.encoding_error(
                uri,
                bad,
                sample[max(0, bad - 20) : bad + 20],
                rel=min(20, bad),
                declared=declared,
            )
        delimiter = opts.get("delimiter") or csvtools.sniff_delimiter(text)
        quotechar = opts.get("quotechar", '"')
        header = csvtools.parse_header(text, delimiter, quotechar)
        if not header or header == [""]:
            raise DataError(
                f"{uri}: no header row", hint="the first line must name the columns"
            )
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise DataError(f"{uri}: header names a column twice: {', '.join(dupes)}")
        log.debug("%s: delimiter %r, %d columns", uri, delimiter, len(header))
        na_values = [str(v) for v in opts.get("na_values") or []]
        read_opts = pacsv.ReadOptions(
            column_names=header,
            skip_rows=1,
            block_size=BLOCK_SIZE,
            encoding="utf8" if utf8 else encoding,
        )
        parse_opts = pacsv.ParseOptions(
            delimiter=delimiter,
            quote_char=quotechar,
            newlines_in_values=bool(opts.get("newlines_in_values", False)),
        )
        convert_opts = pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            null_values=na_values,
            strings_can_be_null=bool(na_values),
            quoted_strings_can_be_null=bool(na_values),
        )
        reader = None
        done = False
        try:
            reader = pacsv.open_csv(
                PrefixedReader(sample, stream),
                read_options=read_opts,
                parse_options=parse_opts,
                convert_options=convert_opts,
            )
            yield from reader
            done = True
        except pa.ArrowInvalid as exc:
            raise self._csv_error(
                definition, uri, str(exc), delimiter, declared
            ) from None
        finally:
            self._stop(reader, done)

    def _csv_error(
        self,
        definition: DatasetDefinition,
        uri: str,
        message: str,
        delimiter: str,
        declared: str | None,
    ) -> DataError:
        utf8 = (declared or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8")
        if ("UTF8" in message or "UTF-8" in message) and utf8:
            found = csvtools.find_utf8_error(lambda: self._open_raw(definition, uri))
            if found:
                offset, window = found
                return csvtools.encoding_error(uri, offset, window, declared=declared)
        if "Expected" in message and "columns" in message:
            return DataError(
                f"{uri}: {message.strip()}",
                hint=f"check the delimiter (using {delimiter!r}) and quoting; "
                "set options.newlines_in_values: true if quoted values span lines",
            )
        return DataError(f"{uri}: {message.strip()}")

    # -- JSON Lines and Parquet --------------------------------------------

    def _read_jsonl(self, uri: str, stream: BinaryIO) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        import pyarrow.json as pajson

        first = stream.read(1)
        if not first:
            raise DataError(f"{uri}: the file is empty (0 bytes)")
        reader = None
        done = False
        try:
            reader = pajson.open_json(
                PrefixedReader(first, stream),
                read_options=pajson.ReadOptions(block_size=BLOCK_SIZE),
            )
            yield from reader
            done = True
        except pa.ArrowInvalid as exc:
            raise DataError(f"{uri}: not valid JSON Lines: {exc}") from None
        finally:
            self._stop(reader, done)

    def _stop(self, reader: Any, done: bool) -> None:
        """Stop a streaming reader left before its end (an error downstream).

        pyarrow reads ahead (up to 32 blocks) in a background thread that
        calls back into Python: left running, it deadlocks or aborts the
        process at exit. So the source answers end-of-file from now on and
        the blocks already read are drained.
        """
        if done or reader is None:
            return
        if self._reader is not None:
            self._reader.abort()
        try:
            for _ in reader:
                pass
        except Exception:  # already failing: keep the first error
            log.debug("draining an abandoned reader failed", exc_info=True)

    def _read_parquet(
        self, definition: DatasetDefinition, uri: str
    ) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        fs, path = self._fs(definition, uri)
        # Parquet is read by random access: hash it in one sequential pass
        # (local files), or fetch it once into memory while hashing (remote).
        self._reader = HashingReader(self._open_raw(definition, uri))
        try:
            if _is_local(fs):
                while self._reader.read(BLOCK_SIZE):
                    pass
                source: Any = path
            else:
                source = pa.BufferReader(self._reader.read())
        finally:
            self._reader.close()
        if self._reader.bytes_read == 0:
            raise DataError(f"{uri}: the file is empty (0 bytes)")
        try:
            parquet = pq.ParquetFile(source)
            yield from parquet.iter_batches(batch_size=128 * 1024)
        except pa.ArrowInvalid as exc:
            raise DataError(f"{uri}: not a readable Parquet file: {exc}") from None


def _is_local(fs: Any) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def _fingerprint(fs: Any, path: str, info: dict[str, Any]) -> str | None:
    size = info.get("size")
    if _is_local(fs):
        st = os.stat(path)
        return f"size={st.st_size};mtime_ns={st.st_mtime_ns}"
    lowered = {str(k).lower(): v for k, v in info.items()}
    for key in ("generation", "md5hash", "etag", "last-modified", "lastmodified"):
        value = lowered.get(key)
        if value:
            return f"{key}={str(value).strip(chr(34))};size={size}"
    return None
