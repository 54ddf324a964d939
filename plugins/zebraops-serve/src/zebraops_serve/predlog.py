"""Sampled prediction logging: ``prediction_event`` records as JSON Lines.

Layout (what ``zebra monitor --current serving-log`` reads)::

    <sink>/<model>/<YYYY-MM-DD>/<HHMMSS>-<pid>-<seq>.jsonl

``<sink>`` defaults to ``<object_store>/serving_logs``; the date is the
events' UTC date. Every file is complete when it appears: a local file is
written under a dot-prefixed temporary name and renamed; an object store
receives it in one PUT. Readers take ``*.jsonl`` and skip names starting
with a dot. One line is one served row (see
``schemas/events/prediction_event.schema.json``).

Requests only append to an in-memory buffer; a background thread turns them
into records and writes a file every ``flush_rows`` rows or ``flush_seconds``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .model import LoadedModel, Prediction
from .validation import Table

log = logging.getLogger(__name__)


@attrs.define(eq=False)
class _Pending:
    request_id: str
    timestamp: datetime
    model: LoadedModel
    rows: np.ndarray
    inputs: Table
    out: Prediction
    notes: dict[int, list[str]]


class PredictionLogger:
    def __init__(
        self,
        sink: str,
        model_name: str,
        sample_rate: float,
        *,
        allow: tuple[str, ...] = (),
        deny: tuple[str, ...] = (),
        hash_columns: tuple[str, ...] = (),
        salt: str = "",
        flush_rows: int = 1000,
        flush_seconds: float = 5.0,
        storage_options: dict[str, Any] | None = None,
        validator: Any = None,
    ) -> None:
        self.sink = sink.rstrip("/")
        self.model_name = model_name
        self.sample_rate = min(max(sample_rate, 0.0), 1.0)
        self.allow = tuple(allow)
        self.deny = set(deny)
        self.hash_columns = set(hash_columns)
        self.salt = salt.encode()
        self.flush_rows = max(1, flush_rows)
        self.flush_seconds = flush_seconds
        self.storage_options = storage_options or {}
        self.validator = validator
        self._buffer: deque[_Pending] = deque()
        self._buffered_rows = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._rng = np.random.default_rng()
        self.files_written: list[str] = []
        self.rows_written = 0

    # -- Request side (cheap) -------------------------------------------------

    def record(
        self,
        request_id: str,
        model: LoadedModel,
        inputs: Table,
        out: Prediction,
        notes: dict[int, list[str]],
    ) -> None:
        n = inputs.rows
        if self.sample_rate <= 0 or n == 0:
            return
        if self.sample_rate >= 1:
            rows = np.arange(n)
        else:
            rows = np.flatnonzero(self._rng.random(n) < self.sample_rate)
            if rows.size == 0:
                return
        item = _Pending(
            request_id, datetime.now(timezone.utc), model, rows, inputs, out, notes
        )
        with self._lock:
            self._buffer.append(item)
            self._buffered_rows += len(rows)
            full = self._buffered_rows >= self.flush_rows
        if full:
            self._wake.set()

    # -- Background side -------------------------------------------------------

    def start(self) -> None:
        if self.sample_rate <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._loop, name="zebra-serve-predlog", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.warning("writing prediction logs failed", exc_info=True)

    def flush(self) -> list[str]:
        """Write everything buffered; return the files written."""
        with self._lock:
            items = list(self._buffer)
            self._buffer.clear()
            self._buffered_rows = 0
        if not items:
            return []
        by_day: dict[str, list[str]] = {}
        for item in items:
            day = item.timestamp.strftime("%Y-%m-%d")
            by_day.setdefault(day, []).extend(self._lines(item))
        written = []
        for day, lines in sorted(by_day.items()):
            written.append(self._write(day, lines))
            self.rows_written += len(lines)
        self.files_written.extend(written)
        return written

    def _columns(self, table: Table) -> list[str]:
        cols = list(table.columns)
        if self.allow:
            allowed = set(self.allow)
            cols = [c for c in cols if c in allowed]
        return [c for c in cols if c not in self.deny]

    def _hash(self, value: Any) -> Any:
        if value is None or (isinstance(value, float) and value != value):
            return None
        digest = hashlib.sha256(self.salt + str(value).encode()).hexdigest()
        return f"sha256:{digest}"

    def _lines(self, item: _Pending) -> list[str]:
        cols = self._columns(item.inputs)
        taken = item.inputs.take(item.rows)
        records = (
            [
                dict(zip(cols, values, strict=True))
                for values in zip(*(taken[c] for c in cols), strict=True)
            ]
            if cols
            else [{} for _ in item.rows]
        )
        preds = item.out.predictions[item.rows].tolist()
        proba = (
            None
            if item.out.probabilities is None
            else item.out.probabilities[item.rows].tolist()
        )
        classes = [str(c) for c in item.model.classes or ()]
        stamp = item.timestamp.isoformat(timespec="microseconds")
        lines = []
        for k, (row, inputs) in enumerate(
            zip(item.rows.tolist(), records, strict=True)
        ):
            for col in self.hash_columns.intersection(inputs):
                inputs[col] = self._hash(inputs[col])
            outputs: dict[str, Any] = {"prediction": _jsonable(preds[k])}
            if proba is not None:
                outputs["probabilities"] = {
                    c: _jsonable(p) for c, p in zip(classes, proba[k], strict=False)
                }
            event: dict[str, Any] = {
                "event_type": "prediction",
                "request_id": item.request_id,
                "row": row,
                "model": item.model.name,
                "model_version": item.model.version,
                "alias": item.model.alias,
                "run_id": item.model.run_id,
                "timestamp": stamp,
                "inputs": {k2: _jsonable(v) for k2, v in inputs.items()},
                "outputs": outputs,
            }
            if item.notes.get(row):
                event["notes"] = item.notes[row]
            if k == 0 and self.validator is not None:
                # One check per request: every row has the same shape.
                self.validator(event)
            lines.append(json.dumps(event, separators=(",", ":"), allow_nan=False))
        return lines

    def _write(self, day: str, lines: list[str]) -> str:
        self._seq += 1
        now = datetime.now(timezone.utc)
        name = (
            f"{now:%H%M%S%f}-{os.getpid()}-{self._seq:06d}-{uuid.uuid4().hex[:6]}.jsonl"
        )
        folder = f"{self.sink}/{self.model_name}/{day}"
        data = ("\n".join(lines) + "\n").encode()
        if "://" not in folder or folder.startswith("file://"):
            path = folder[len("file://") :] if folder.startswith("file://") else folder
            os.makedirs(path, exist_ok=True)
            tmp = os.path.join(path, f".{name}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(data)
            final = os.path.join(path, name)
            os.replace(tmp, final)
            return final
        import fsspec

        fs, root = fsspec.core.url_to_fs(folder, **self.storage_options)
        target = f"{root}/{name}"
        fs.pipe_file(target, data)
        return f"{folder}/{name}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (
        value != value or value in (float("inf"), float("-inf"))
    ):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
