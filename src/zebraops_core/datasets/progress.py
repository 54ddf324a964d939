"""Progress bars on stderr for long reads and writes (only on a terminal)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any


class _Null:
    def update(self, completed: int | None = None, **_: Any) -> None:
        pass


@contextlib.contextmanager
def byte_progress(description: str, total: int | None) -> Iterator[Any]:
    """A bar counting bytes; ``bar.update(completed=N)`` moves it."""
    if not sys.stderr.isatty():
        yield _Null()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task_id = progress.add_task(description, total=total)

        class _Bar:
            def update(self, completed: int | None = None, **kw: Any) -> None:
                progress.update(task_id, completed=completed, **kw)

        yield _Bar()
