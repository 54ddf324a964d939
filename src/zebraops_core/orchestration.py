"""One flow definition, two ways to run it.

ZebraOps' flows (ingest, train, eval, promote, monitor, retrain) are written
once with :func:`flow` and :func:`task`. When a Prefect API is configured the
CLI runs them as real Prefect flows, with task runs visible in its UI. With no
API (the embedded default) the very same functions run in-process as plain
Python: Prefect is not even imported, so no temporary server starts.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_prefect_active: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "zebra_prefect_active", default=False
)


class ZebraFlow:
    """A flow function plus how to run it under Prefect or in-process."""

    def __init__(self, fn: Callable[..., Any], name: str) -> None:
        self.fn = fn
        self.name = name
        self._prefect_flow: Any = None
        functools.update_wrapper(self, fn)

    def prefect_flow(self) -> Any:
        """The Prefect flow object (imports Prefect)."""
        if self._prefect_flow is None:
            from prefect import flow as prefect_flow

            def entry(*args: Any, **kwargs: Any) -> Any:
                token = _prefect_active.set(True)
                try:
                    return self.fn(*args, **kwargs)
                finally:
                    _prefect_active.reset(token)

            functools.update_wrapper(entry, self.fn)
            self._prefect_flow = prefect_flow(name=self.name, log_prints=True)(entry)
        return self._prefect_flow

    def run(self, *args: Any, prefect_api_url: str | None = None, **kwargs: Any):
        """Run through Prefect when an API URL is given, else in-process."""
        if not prefect_api_url:
            return self.fn(*args, **kwargs)
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        from prefect.settings import PREFECT_API_URL, temporary_settings

        log.debug("running flow %s through Prefect at %s", self.name, prefect_api_url)
        # Settings are read when Prefect is imported: override them here too.
        with temporary_settings(updates={PREFECT_API_URL: prefect_api_url}):
            return self.prefect_flow()(*args, **kwargs)

    def run_in(self, ctx: Any, *args: Any, **kwargs: Any) -> Any:
        """Run for a :class:`~zebraops_core.context.Context`: through Prefect
        when its profile (or ``PREFECT_API_URL``) names an API."""
        return self.run(*args, prefect_api_url=ctx.settings.prefect_api_url, **kwargs)

    __call__ = run


def flow(name: str) -> Callable[[Callable[..., Any]], ZebraFlow]:
    """Declare a ZebraOps flow."""

    def decorate(fn: Callable[..., Any]) -> ZebraFlow:
        return ZebraFlow(fn, name)

    return decorate


def task(name: str | None = None, **prefect_options: Any) -> Callable[[F], F]:
    """Declare a step. Inside a Prefect-run flow it is a Prefect task run;
    otherwise a plain call."""

    def decorate(fn: F) -> F:
        task_name = name or fn.__name__
        cache: dict[str, Any] = {}

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _prefect_active.get():
                return fn(*args, **kwargs)
            if "task" not in cache:
                cache["task"] = _prefect_task(fn, task_name, prefect_options)
            return cache["task"](*args, **kwargs)

        wrapper.fn = fn  # type: ignore[attr-defined]
        wrapper.task_name = task_name  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _prefect_task(fn: Callable[..., Any], name: str, options: dict[str, Any]) -> Any:
    """A Prefect task of ``fn``; no input caching (our inputs are live
    objects and every step has side effects)."""
    from prefect import task as prefect_task
    from prefect.cache_policies import NO_CACHE

    options = {"cache_policy": NO_CACHE, **options}
    return prefect_task(name=name, **options)(fn)


def map_parallel(
    step: Callable[..., Any], items: Iterable[Any], *, max_parallel: int
) -> list[Any]:
    """Run ``step(item)`` for each item, at most ``max_parallel`` at a time.

    Under Prefect each call is a task run on a ThreadPoolTaskRunner; embedded,
    a thread pool (steps that do heavy work start their own processes).
    Results come back in input order; the first exception is raised after all
    started steps end.
    """
    items = list(items)
    if _prefect_active.get():
        import inspect

        from prefect.task_runners import ThreadPoolTaskRunner

        raw = getattr(step, "fn", step)
        first = next(iter(inspect.signature(raw).parameters))
        name = getattr(step, "task_name", None) or getattr(raw, "__name__", "step")
        t = _prefect_task(raw, name, {})
        with ThreadPoolTaskRunner(max_workers=max(1, max_parallel)) as runner:
            futures = [runner.submit(t, parameters={first: item}) for item in items]
            return [f.result() for f in futures]
    ctx = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=max(1, max_parallel)) as pool:
        futures = [pool.submit(ctx.copy().run, step, item) for item in items]
        return [f.result() for f in futures]
