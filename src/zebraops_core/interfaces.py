"""The small contracts plugins implement, and the records they exchange.

Each base class is abstract: a plugin subclasses it, sets ``type_name`` and
fills in the abstract methods. Records are frozen attrs classes so that hooks
can observe them without changing them.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .specs import DatasetDefinition, Manifest, ModelSpec, MonitoringSpec


# -- Connectors -----------------------------------------------------------


@attrs.frozen
class SourceInfo:
    """What a connector knows about a source before reading it.

    ``fingerprint`` is cheap to compute (size and mtime, ETag, a query text
    hash...) and equal for unchanged sources; ``None`` means "always read".
    """

    uri: str
    fingerprint: str | None = None
    size_bytes: int | None = None


class Connector(abc.ABC):
    """Reads a raw source into Arrow record batches.

    A connector never writes; ``zebra ingest`` validates, splits, hashes and
    materializes what it yields.
    """

    type_name: ClassVar[str]

    @abc.abstractmethod
    def describe(self, definition: DatasetDefinition, uri: str) -> SourceInfo:
        """Return the source's identity without reading its content."""

    @abc.abstractmethod
    def read(self, definition: DatasetDefinition, uri: str) -> Iterator[pa.RecordBatch]:
        """Yield the source's rows as record batches, raw (strings allowed).

        Raise :class:`zebraops_core.errors.DataError` naming the file, byte
        offset, line or column for unreadable input.
        """

    def content_hasher(self) -> Any | None:
        """Optionally return a hash object fed with the raw bytes read."""
        return None


# -- Runners and compute --------------------------------------------------


@attrs.frozen
class JobSpec:
    """A process to run somewhere: what a runner asks a compute adapter for."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path
    output_dir: Path
    log_path: Path
    name: str = "job"
    resources: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class JobHandle:
    """An adapter's reference to a submitted job."""

    adapter: str
    job_id: str
    spec: JobSpec
    extra: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class JobResult:
    """How a job ended."""

    exit_code: int
    log_path: Path
    output_dir: Path
    stderr_tail: str = ""
    duration_s: float = 0.0


@attrs.frozen
class RunContext:
    """Everything a runner, an adapter or a hook needs to know about a run."""

    model: ModelSpec
    model_dir: Path
    project_dir: Path
    run_id: str
    experiment_name: str
    tracking_uri: str
    config_path: Path
    output_dir: Path
    manifests: Mapping[str, Manifest]
    params: Mapping[str, Any]
    profile: str = "local"
    parent_run_id: str | None = None
    extra_env: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class RunResult:
    """A finished training run."""

    run_id: str
    status: str
    metrics: Mapping[str, float] = attrs.field(factory=dict)
    model_uri: str | None = None
    model_version: str | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict)


class Runner(abc.ABC):
    """Turns a model's entrypoint and a run context into a job."""

    type_name: ClassVar[str]

    @abc.abstractmethod
    def check(self, model: ModelSpec, model_dir: Path) -> None:
        """Raise :class:`ConfigError` when the entrypoint cannot run."""

    @abc.abstractmethod
    def prepare(self, context: RunContext) -> JobSpec:
        """Return the job that runs the entrypoint under the contract."""

    def finalize(self, context: RunContext, result: JobResult) -> None:
        """Inspect a finished job; raise :class:`RunFailed` to fail the run
        (ZebraOps adds the job's stderr tail and where its log is).

        Also the place to add runner-specific artifacts (the executed
        notebook) to ``context.output_dir``.
        """
        if result.exit_code != 0:
            from .errors import RunFailed

            raise RunFailed(
                f"{context.model.entrypoint} exited with code {result.exit_code}"
            )


class ComputeAdapter(abc.ABC):
    """Runs jobs somewhere: this machine, a rented GPU, a cloud service."""

    type_name: ClassVar[str]

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.settings = dict(settings or {})

    def prepare(self, job: JobSpec) -> None:  # noqa: B027 - optional step
        """Stage code and data where the job will run. No-op by default."""

    def prewarm(self, job: JobSpec) -> None:  # noqa: B027 - optional step
        """Optionally start the job's environment before its run exists (the
        job's argv, cwd and output paths are final; only its environment
        may still change). :meth:`submit` then uses it. No-op by default."""

    def discard_warm(self) -> None:  # noqa: B027 - optional step
        """Release whatever :meth:`prewarm` started and no job used."""

    @abc.abstractmethod
    def submit(self, job: JobSpec) -> JobHandle:
        """Start the job and return at once."""

    @abc.abstractmethod
    def stream_logs(self, handle: JobHandle) -> Iterator[str]:
        """Yield log lines as they come, until the job ends."""

    @abc.abstractmethod
    def wait(self, handle: JobHandle, timeout: float | None = None) -> JobResult:
        """Block until the job ends and return how it ended."""

    def fetch_outputs(self, handle: JobHandle, dest: Path) -> Path:
        """Bring the job's output directory to ``dest``; local jobs wrote there."""
        return handle.spec.output_dir

    @abc.abstractmethod
    def cancel(self, handle: JobHandle) -> None:
        """Stop the job; safe to call on an ended job."""


# -- Gates ----------------------------------------------------------------


@attrs.frozen
class GateContext:
    """What a gate may look at: the challenger and, when there is one, the
    version currently holding the target alias, with their evaluations."""

    model: ModelSpec
    target: str
    alias: str
    run_id: str
    version: str | None
    metrics: Mapping[str, float]
    champion_version: str | None = None
    champion_metrics: Mapping[str, float] | None = None
    eval_manifests: Mapping[str, str] = attrs.field(factory=dict)
    trained_manifests: Mapping[str, str] = attrs.field(factory=dict)
    # Per-row arrays for bootstrap: {"y_true", "challenger", "champion"}.
    predictions: Mapping[str, Any] | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class GateVerdict:
    gate: str
    passed: bool
    reason: str
    numbers: Mapping[str, Any] = attrs.field(factory=dict)


class Gate(abc.ABC):
    type_name: ClassVar[str]

    @abc.abstractmethod
    def check(self, context: GateContext) -> GateVerdict:
        """Return passed or failed, with numbers and a one-line reason."""


# -- Monitors -------------------------------------------------------------


@attrs.frozen
class ColumnDrift:
    column: str
    status: str  # "ok" | "drifted" | "skipped"
    score: float | None
    test: str | None
    threshold: float | None
    reason: str = ""


@attrs.frozen
class MonitorResult:
    model: str
    model_version: str | None
    reference_manifest: str | None
    current_source: str
    rows_reference: int
    rows_current: int
    drift_share: float
    dataset_drift: bool
    columns: tuple[ColumnDrift, ...]
    quality: Mapping[str, Any]
    recommendation: bool
    reasons: tuple[str, ...]
    report_uri: str | None = None
    sampling: Mapping[str, Any] | None = None
    created_at: str = ""
    id: str = ""
    # Verdict status, warnings, performance decay, MLflow run id, report path.
    details: Mapping[str, Any] = attrs.field(factory=dict)


class Monitor(abc.ABC):
    type_name: ClassVar[str]

    @abc.abstractmethod
    def check(
        self,
        reference: pd.DataFrame,
        current: pd.DataFrame,
        settings: MonitoringSpec,
        *,
        report_path: Path | None = None,
        column_types: Mapping[str, str] | None = None,
    ) -> tuple[list[ColumnDrift], dict[str, Any], dict[str, Any] | None]:
        """Compare current data with the reference.

        :return: per-column drift, a data-quality summary, and the sampling
            rule applied (or ``None``). Writes the HTML report to
            ``report_path`` when given.
        """


# -- Promotion ledger -----------------------------------------------------


@attrs.frozen
class PromotionEntry:
    id: int | None
    at: str
    actor: str
    model: str
    alias: str
    action: str  # "promote" | "rollback"
    from_version: str | None
    to_version: str
    run_id: str | None
    verdicts: tuple[Mapping[str, Any], ...] = ()
    forced: bool = False
    reason: str = ""
