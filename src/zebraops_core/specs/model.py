"""Model spec: ``models/<name>/model.yaml``."""

from __future__ import annotations

from typing import Any, Literal

import attrs

SPEC_VERSION = 1

Direction = Literal["maximize", "minimize"]


@attrs.frozen
class Metric:
    name: str
    direction: Direction = "maximize"
    threshold: float | None = None


@attrs.frozen
class Resources:
    accelerator: Literal["cpu", "gpu"] = "cpu"
    gpu_count: int = 0


@attrs.frozen
class Tracking:
    experiment_name: str | None = None


@attrs.frozen
class Promotion:
    registry: Literal["mlflow"] = "mlflow"
    alias_prod: str = "prod"
    alias_staging: str = "staging"
    # Gate names per target ("staging", "prod"), resolved through register_gates.
    gates: dict[str, list[str]] = attrs.field(
        factory=lambda: {
            "staging": ["threshold", "lineage"],
            "prod": ["threshold", "lineage", "champion"],
        }
    )
    # How much worse than the champion a challenger may be, in metric units.
    champion_tolerance: float = 0.0
    # Where `zebra retrain` promotes to.
    retrain_target: Literal["staging", "prod"] = "prod"


@attrs.frozen
class Hyperparams:
    defaults: dict[str, Any] = attrs.field(factory=dict)
    grid: dict[str, list[Any]] = attrs.field(factory=dict)


@attrs.frozen
class Env:
    python_version: str | None = None
    pip_requirements: list[str] = attrs.field(factory=list)


@attrs.frozen
class Evaluation:
    # Columns whose values split the evaluation into a per-segment table.
    segments: list[str] = attrs.field(factory=list)
    # Decision threshold for binary classifiers' positive class.
    threshold: float = 0.5


@attrs.frozen
class MonitoringSpec:
    monitor: str = "evidently"
    # Share of drifted columns that recommends a retrain.
    drift_share: float = 0.3
    # Per-column drift score thresholds overriding the test's default.
    column_thresholds: dict[str, float] = attrs.field(factory=dict)
    # Columns never checked (identifiers, free text).
    ignore_columns: list[str] = attrs.field(factory=list)
    # Fewer current rows than this: no verdict, only a warning.
    min_rows: int = 30
    # Above this many rows per side, sample (stated in the report).
    sample_rows: int = 100_000
    seed: int = 0
    # Relative drop of the primary metric (labels) that recommends a retrain.
    performance_drop: float = 0.05


@attrs.frozen
class NotebookOptions:
    """How the notebook runner treats ``type: notebook`` models."""

    # Run a notebook that has no cell tagged `parameters` anyway: the values
    # ZebraOps injects go first and the notebook's own assignments win.
    allow_untagged_parameters: bool = False
    # Jupyter kernel to execute with (default: this Python's ipykernel).
    kernel: str | None = None


@attrs.frozen
class DatasetRef:
    """Which dataset (and split) a model role reads: ``churn`` or ``churn:valid``."""

    dataset: str
    split: str


@attrs.frozen
class ModelSpec:
    name: str
    entrypoint: str
    datasets: dict[str, str]
    type: Literal["python", "notebook"] = "python"
    spec_version: int = SPEC_VERSION
    resources: Resources = attrs.field(factory=Resources)
    tracking: Tracking = attrs.field(factory=Tracking)
    metrics: list[Metric] = attrs.field(factory=list)
    promotion: Promotion = attrs.field(factory=Promotion)
    hyperparams: Hyperparams = attrs.field(factory=Hyperparams)
    env: Env = attrs.field(factory=Env)
    evaluation: Evaluation = attrs.field(factory=Evaluation)
    monitoring: MonitoringSpec = attrs.field(factory=MonitoringSpec)
    notebook: NotebookOptions = attrs.field(factory=NotebookOptions)
    notes: str = ""

    @property
    def experiment_name(self) -> str:
        return self.tracking.experiment_name or self.name

    @property
    def primary_metric(self) -> Metric | None:
        return self.metrics[0] if self.metrics else None

    def dataset_ref(self, role: str) -> DatasetRef:
        """Resolve a role (train, valid, test) to its dataset id and split."""
        value = self.datasets[role]
        dataset, _, split = value.partition(":")
        return DatasetRef(dataset=dataset, split=split or role)

    def alias_for(self, target: str) -> str:
        return (
            self.promotion.alias_prod
            if target == "prod"
            else (self.promotion.alias_staging)
        )
