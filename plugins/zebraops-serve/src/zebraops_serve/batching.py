"""Adaptive batching: concurrent requests share one model call.

One consumer task takes the first waiting request, then gathers more until
the batch holds ``max_rows`` rows, ``max_wait`` passes, or every request the
server expects has joined: as many as were open at once during the last
second, and none still being received (so a lone client waits for nobody,
and eight closed-loop clients share one call instead of alternating between
a big and a small batch). The model runs in one worker thread while the
event loop keeps parsing the next requests. Each caller gets back exactly
its own slice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .model import LoadedModel, Prediction
from .validation import Table

log = logging.getLogger(__name__)


@attrs.define(eq=False)
class _Item:
    model: LoadedModel
    frame: Table
    future: asyncio.Future


class Batcher:
    def __init__(
        self,
        max_rows: int,
        max_wait_ms: float,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> None:
        self.max_rows = max(1, max_rows)
        self.max_wait = max(0.0, max_wait_ms) / 1000.0
        self.on_batch = on_batch
        #: Requests admitted but not yet queued (bodies being read/parsed).
        self.arriving = 0
        #: Predict requests open right now, and the most open at once in the
        #: current and the previous one-second window.
        self.open = 0
        self._peak = 0
        self._peak_prev = 0
        self._window = 0.0
        #: Moving average of a model call's duration (seconds).
        self.call_seconds = 0.0
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="zebra-model")
        self._held: _Item | None = None

    def enter(self) -> None:
        """A predict request started (call :meth:`leave` when it ends)."""
        self.open += 1
        now = time.monotonic()
        if now - self._window > 1.0:
            self._window = now
            self._peak_prev, self._peak = self._peak, self.open
        self._peak = max(self._peak, self.open)

    def leave(self) -> None:
        self.open -= 1

    def expected(self) -> int:
        """How many requests one batch may hope to gather."""
        return max(self._peak, self._peak_prev, 1)

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=True)

    async def run_model(self, model: LoadedModel, frame: Table) -> Prediction:
        """One unbatched model call on the model thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, _predict_concat, model, [frame]
        )

    async def submit(self, model: LoadedModel, frame: Table) -> Prediction:
        assert self._queue is not None, "batcher not started"
        fut = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(model, frame, fut))
        return await fut

    async def _next(self) -> _Item:
        if self._held is not None:
            item, self._held = self._held, None
            return item
        assert self._queue is not None
        return await self._queue.get()

    async def _gather(self, first: _Item) -> list[_Item]:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        batch, rows = [first], first.frame.rows
        # Waiting for stragglers is worth up to half a model call: a full
        # batch then costs one call instead of two.
        wait = min(max(self.max_wait, 0.5 * self.call_seconds), 0.25)
        deadline = loop.time() + wait
        # Without a signature, requests may differ in columns: no sharing.
        while rows < self.max_rows and first.model.columns is not None:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                if self.arriving <= 0 and len(batch) >= self.expected():
                    break
                # Someone is on the way: yield briefly for their rows.
                await asyncio.sleep(min(remaining, 0.0005))
                continue
            if item.model is not first.model or rows + item.frame.rows > self.max_rows:
                self._held = item
                break
            batch.append(item)
            rows += item.frame.rows
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self._next()
            batch = await self._gather(first)
            batch = [b for b in batch if not b.future.done()]
            if not batch:
                continue
            frames = [b.frame for b in batch]
            started = time.perf_counter()
            try:
                result = await loop.run_in_executor(
                    self._executor, _predict_concat, first.model, frames
                )
            except Exception as exc:
                await self._one_by_one(batch, exc)
                continue
            took = time.perf_counter() - started
            self.call_seconds = (
                took
                if not self.call_seconds
                else (0.8 * self.call_seconds + 0.2 * took)
            )
            if self.on_batch is not None:
                self.on_batch(len(batch), sum(f.rows for f in frames))
            start = 0
            for b in batch:
                stop = start + b.frame.rows
                if not b.future.done():
                    b.future.set_result(result.slice(start, stop))
                start = stop

    async def _one_by_one(self, batch: list[_Item], exc: Exception) -> None:
        """A failed batch is retried per request, so one caller's bad rows
        fail only that caller."""
        if len(batch) == 1:
            if not batch[0].future.done():
                batch[0].future.set_exception(exc)
            return
        loop = asyncio.get_running_loop()
        for b in batch:
            try:
                out = await loop.run_in_executor(
                    self._executor, _predict_concat, b.model, [b.frame]
                )
            except Exception as one:
                if not b.future.done():
                    b.future.set_exception(one)
            else:
                if not b.future.done():
                    b.future.set_result(out)


def _predict_concat(model: LoadedModel, tables: list[Table]) -> Any:
    """One model call on the rows of several requests (column arrays are
    concatenated, then one DataFrame is built)."""
    if len(tables) == 1:
        frame = tables[0].to_frame()
    else:
        frame = pd.DataFrame(
            {
                c: np.concatenate([t.columns[c] for t in tables])
                for c in tables[0].columns
            },
            copy=False,
        )
    out = model.predict(frame)
    if len(out.predictions) != len(frame):
        raise RuntimeError(
            f"model returned {len(out.predictions)} predictions for {len(frame)} rows"
        )
    return out
