"""Hash bytes while they stream past: the reader and the writer wrappers.

Source files are hashed with SHA-256 (the digest equals ``sha256sum FILE``),
in the same pass that parses them; Parquet splits are hashed as they are
written. Each wrapper also counts bytes and the seconds spent hashing, for
progress bars and the benchmark.
"""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path
from typing import Any, BinaryIO

#: The algorithm of every content hash ZebraOps records.
ALGORITHM = "sha256"


def new_hasher() -> Any:
    return hashlib.new(ALGORITHM)


class HashingReader(io.RawIOBase):
    """A read-only stream that hashes and counts what is read through it."""

    def __init__(self, raw: BinaryIO, hasher: Any | None = None) -> None:
        super().__init__()
        self._raw = raw
        self.hasher = hasher if hasher is not None else new_hasher()
        self.bytes_read = 0
        self.hash_seconds = 0.0
        self.read_seconds = 0.0
        self._aborted = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def abort(self) -> None:
        """Answer end-of-file from now on (stops a parser reading ahead)."""
        self._aborted = True

    def tell(self) -> int:
        return self.bytes_read

    def _account(self, data: bytes | memoryview) -> None:
        start = time.perf_counter()
        self.hasher.update(data)
        self.hash_seconds += time.perf_counter() - start
        self.bytes_read += len(data)

    def read(self, size: int = -1) -> bytes:
        if self._aborted:
            return b""
        start = time.perf_counter()
        whole = size is None or size < 0
        data = self._raw.read() if whole else self._raw.read(size)
        self.read_seconds += time.perf_counter() - start
        if data:
            self._account(data)
        return data or b""

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class PrefixedReader(io.RawIOBase):
    """Replays bytes already read (a sniffing sample), then the rest.

    Closing it leaves the underlying stream open (its owner closes it).
    """

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            head, self._prefix = bytes(self._prefix), memoryview(b"")
            return head + self._rest.read()
        if self._prefix:
            head = bytes(self._prefix[:size])
            self._prefix = self._prefix[size:]
            return head
        return self._rest.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class HashingWriter(io.RawIOBase):
    """A write-only stream that hashes and counts what is written."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self.hasher = new_hasher()
        self.bytes_written = 0
        self.hash_seconds = 0.0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.bytes_written

    def write(self, data: Any) -> int:
        start = time.perf_counter()
        self.hasher.update(data)
        self.hash_seconds += time.perf_counter() - start
        written = self._raw.write(data)
        n = len(memoryview(data).cast("B"))
        self.bytes_written += n
        return written if written is not None else n

    def flush(self) -> None:
        if not self._raw.closed:
            self._raw.flush()

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._raw.flush()
            self._raw.close()
        finally:
            super().close()


def file_sha256(path: Path, chunk: int = 8 << 20) -> str:
    """SHA-256 of a local file, read in large chunks."""
    hasher = new_hasher()
    with open(path, "rb", buffering=0) as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            hasher.update(block)
    return hasher.hexdigest()
