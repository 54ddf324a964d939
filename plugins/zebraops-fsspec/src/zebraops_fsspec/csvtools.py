"""CSV helpers: delimiter sniffing, header parsing and encoding diagnosis."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from typing import BinaryIO

from zebraops_core.errors import DataError

#: Delimiters tried, in order of preference, when none is declared.
CANDIDATES = (",", ";", "\t", "|")
#: How many bytes the sniffer looks at.
SAMPLE_BYTES = 256 * 1024


def decode_sample(sample: bytes, encoding: str, more: bool) -> tuple[str, int | None]:
    """Decode the sniffing sample; return the text and the offset of the first
    undecodable byte (``None`` if none). A character cut at the end of the
    sample is not an error when more bytes follow."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(sample, final=not more), None
    except UnicodeDecodeError as exc:
        text = sample[: exc.start].decode(encoding, errors="ignore")
        return text, exc.start


def sniff_delimiter(text: str) -> str:
    """The candidate splitting the first lines into the same number (> 1) of
    fields on every line; with a tie, the one giving more fields."""
    lines = [line for line in text.splitlines()[:-1] if line.strip()][:30]
    if not lines:
        lines = [line for line in text.splitlines() if line.strip()][:1]
    best: tuple[int, int, int] | None = None
    choice = ","
    for rank, delim in enumerate(CANDIDATES):
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0], -rank)
        if best is None or score > best:
            best, choice = score, delim
    return choice


def parse_header(text: str, delimiter: str, quotechar: str) -> list[str]:
    """Column names from the first row, a leading UTF-8 BOM stripped."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar)
    try:
        header = next(reader)
    except StopIteration:
        return []
    if header:
        header[0] = header[0].lstrip("\ufeff")
    return header


def suggest_encoding(window: bytes) -> str:
    """A likely encoding for bytes that are not UTF-8."""
    if window.startswith((b"\xff\xfe", b"\xfe\xff")) or window.count(b"\x00") > 2:
        return "utf-16"
    try:
        window.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def find_utf8_error(
    open_raw: Callable[[], BinaryIO], chunk: int = 4 << 20
) -> tuple[int, bytes] | None:
    """Scan a stream for the first byte that is not valid UTF-8.

    :return: its byte offset and a window of bytes around it, or ``None``.
    """
    base = 0
    carry = b""
    with open_raw() as fh:
        while True:
            block = fh.read(chunk)
            data = carry + block
            if not data:
                return None
            try:
                data.decode("utf-8")
                carry, base = b"", base + len(data)
            except UnicodeDecodeError as exc:
                truncated = exc.reason == "unexpected end of data"
                if truncated and block:
                    carry = data[exc.start :]
                    base += exc.start
                else:
                    offset = base + exc.start
                    return offset, data[max(0, exc.start - 20) : exc.start + 20]
            if not block:
                return None


def encoding_error(
    uri: str,
    offset: int,
    window: bytes,
    rel: int | None = None,
    declared: str | None = None,
) -> DataError:
    """The DataError for non-UTF-8 input read as UTF-8."""
    center = min(20, offset) if rel is None else rel
    bad = window[center : center + 1] or window[:1]
    guess = suggest_encoding(window)
    shown = window.decode("utf-8", errors="backslashreplace")
    return DataError(
        f"{uri}: not valid UTF-8 at byte {offset} (byte 0x{bad.hex().upper()} in "
        f"{shown!r}); "
        + (
            f"the dataset definition declares encoding {declared}"
            if declared
            else "the dataset definition declares no encoding"
        ),
        hint=f"declare the file's encoding under options, e.g. `encoding: {guess}`"
        + (" (or latin-1)" if guess == "cp1252" else "")
        + ", or re-save the file as UTF-8",
    )
