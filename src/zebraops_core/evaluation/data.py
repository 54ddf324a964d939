"""What an evaluation reads: the manifests a run trained on, their split
frames, the run's model, and the labels aligned with the model's classes."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import tracking
from ..errors import ConfigError, DataError, NotFound
from .metrics import CLASSIFICATION, REGRESSION

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..context import Context
    from ..specs import Manifest, ModelSpec

log = logging.getLogger(__name__)

#: Roles an evaluation scores, in report order.
EVAL_ROLES = ("valid", "test")


@attrs.frozen
class EvalSource:
    """One scored table: a manifest's split, or a file named with --dataset."""

    role: str  # valid | test
    split: str
    uri: str
    manifest_id: str | None
    dataset_id: str | None
    target: str
    target_mapping: Mapping[str, Any] = attrs.field(factory=dict)

    def describe(self) -> str:
        return f"{self.manifest_id}:{self.split}" if self.manifest_id else self.uri


# -- Manifests ------------------------------------------------------------


def load_manifest(ctx: Context, manifest_id: str) -> Manifest:
    """A manifest by id."""
    from ..datasets import load_manifest_by_id

    return load_manifest_by_id(ctx, manifest_id)


def _latest_manifest(ctx: Context, dataset_id: str) -> Manifest | None:
    from ..datasets import latest_manifest

    try:
        return latest_manifest(ctx, dataset_id)
    except NotFound:
        return None


def trained_manifests(run_tags: Mapping[str, str]) -> dict[str, str]:
    """role -> manifest id, from a run's lineage tags."""
    prefix = tracking.TAG_DATASET_PREFIX
    return {k[len(prefix) :]: v for k, v in run_tags.items() if k.startswith(prefix)}


def _source_from_manifest(manifest: Manifest, role: str, split: str) -> EvalSource:
    if split not in manifest.splits:
        raise DataError(
            f"manifest {manifest.id} has no split '{split}' "
            f"(splits: {', '.join(sorted(manifest.splits))})",
            hint="name a split with --dataset MANIFEST_ID:SPLIT",
        )
    target = manifest.target_column
    if not target:
        raise ConfigError(
            f"manifest {manifest.id} declares no target column",
            hint="add schema.target to the dataset definition",
        )
    mapping = (manifest.schema.get("target") or {}).get("mapping") or {}
    return EvalSource(
        role=role,
        split=split,
        uri=manifest.split_uri(split),
        manifest_id=manifest.id,
        dataset_id=manifest.dataset_id,
        target=target,
        target_mapping=dict(mapping),
    )


def resolve_sources(
    ctx: Context,
    spec: ModelSpec,
    run_tags: Mapping[str, str],
    dataset: str | None = None,
) -> list[EvalSource]:
    """What to score: the run's valid (and test) manifests, or ``dataset``.

    ``dataset`` is a manifest id (optionally ``ID:SPLIT``), a dataset id
    (its latest manifest) or a path to a parquet or CSV file holding the
    target column.
    """
    if dataset is None:
        trained = trained_manifests(run_tags)
        sources = []
        for role in EVAL_ROLES:
            if role not in spec.datasets:
                continue
            manifest_id = trained.get(role)
            if manifest_id is None:
                if role == "valid":
                    raise NotFound(
                        f"run has no {tracking.TAG_DATASET_PREFIX}{role} tag: "
                        "cannot tell which data it was validated on",
                        hint="evaluate on named data with --dataset ID",
                    )
                log.warning(
                    "run has no %s%s tag; %s split not evaluated",
                    tracking.TAG_DATASET_PREFIX,
                    role,
                    role,
                )
                continue
            manifest = load_manifest(ctx, manifest_id)
            sources.append(
                _source_from_manifest(manifest, role, spec.dataset_ref(role).split)
            )
        return sources
    return [_named_source(ctx, spec, run_tags, dataset)]


def _named_source(
    ctx: Context, spec: ModelSpec, run_tags: Mapping[str, str], dataset: str
) -> EvalSource:
    split_default = spec.dataset_ref("valid").split
    path = Path(dataset).expanduser()
    if not path.is_absolute():
        path = ctx.project.root / path
    if dataset.endswith((".parquet", ".csv")) or "/" in dataset or path.is_file():
        if not path.is_file() and "://" not in dataset:
            raise NotFound(f"no file {dataset}")
        uri = dataset if "://" in dataset else str(path)
        target, mapping = _declared_target(ctx, spec, run_tags)
        return EvalSource(
            role="valid",
            split=split_default,
            uri=uri,
            manifest_id=None,
            dataset_id=None,
            target=target,
            target_mapping=mapping,
        )
    ident, _, split = dataset.partition(":")
    try:
        manifest = load_manifest(ctx, ident)
    except NotFound:
        manifest = _latest_manifest(ctx, ident)
        if manifest is None:
            raise NotFound(
                f"'{dataset}' is neither a manifest id, a dataset with a "
                "manifest, nor a file",
                hint="run `zebra list datasets`, or pass a parquet/CSV path",
            ) from None
    return _source_from_manifest(manifest, "valid", split or split_default)


def _declared_target(
    ctx: Context, spec: ModelSpec, run_tags: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    """The target column for a plain file: from the run's valid manifest,
    else from the model's declared dataset definition."""
    manifest_id = trained_manifests(run_tags).get("valid")
    if manifest_id:
        try:
            manifest = load_manifest(ctx, manifest_id)
            if manifest.target_column:
                target = manifest.schema.get("target") or {}
                return manifest.target_column, dict(target.get("mapping") or {})
        except NotFound:
            pass
    definition = ctx.project.load_dataset(spec.dataset_ref("valid").dataset)
    if definition.schema.target is None:
        raise ConfigError(
            f"dataset '{definition.id}' declares no target column",
            hint="add schema.target to the dataset definition",
        )
    return definition.schema.target.column, dict(definition.schema.target.mapping)


def read_frame(ctx: Context, source: EvalSource) -> pd.DataFrame:
    import pandas as pd

    uri = source.uri
    options = ctx.settings.storage_options if "://" in uri else None
    if "://" not in uri and not Path(uri).is_absolute():
        uri = str(ctx.project.root / uri)
    try:
        if uri.endswith(".csv"):
            return pd.read_csv(uri, storage_options=options)
        return pd.read_parquet(uri, storage_options=options)
    except FileNotFoundError:
        raise NotFound(
            f"data of {source.describe()} is missing: {uri}",
            hint="re-run `zebra ingest` for that dataset",
        ) from None


# -- Model ----------------------------------------------------------------


@attrs.define
class LoadedModel:
    model: Any
    task: str
    classes: list[Any] | None
    features: list[str] | None
    flavor: str

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Probabilities (n, k) for classifiers, predictions (n,) otherwise."""
        import numpy as np

        X = self.features_of(frame)
        if self.task == CLASSIFICATION:
            if self.flavor == "sklearn" and hasattr(self.model, "predict_proba"):
                return np.asarray(self.model.predict_proba(X), dtype=float)
            labels = np.asarray(self.model.predict(X)).ravel()
            return np.stack([(labels == c).astype(float) for c in self.classes], axis=1)
        return np.asarray(self.model.predict(X), dtype=float).ravel()

    def features_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not self.features:
            return frame
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise DataError(
                f"the evaluation data lacks columns the model needs: "
                f"{', '.join(missing[:10])}",
                hint="evaluate on data with the training schema",
            )
        return frame[self.features]


def load_model(model_uri: str, target: str | None = None) -> LoadedModel:
    """Load a logged model; sklearn flavor when present (probabilities),
    else the pyfunc flavor (predictions only)."""
    import mlflow

    try:
        model = mlflow.sklearn.load_model(model_uri)
        flavor = "sklearn"
    except Exception as exc:
        if "sklearn" not in str(exc) and "flavor" not in str(exc):
            raise NotFound(
                f"cannot load model {model_uri}: {exc}",
                hint="was the model logged under the path 'model'?",
            ) from None
        model = mlflow.pyfunc.load_model(model_uri)
        flavor = "pyfunc"
    classes = getattr(model, "classes_", None)
    task = CLASSIFICATION if classes is not None else REGRESSION
    features = getattr(model, "feature_names_in_", None)
    if features is not None:
        features = [str(f) for f in features]
    elif flavor == "pyfunc":
        schema = model.metadata.get_input_schema()
        if schema is not None and schema.has_input_names():
            features = list(schema.input_names())
    return LoadedModel(
        model=model,
        task=task,
        classes=None if classes is None else list(classes),
        features=features,
        flavor=flavor,
    )


def split_xy(
    frame: pd.DataFrame, source: EvalSource, model: LoadedModel
) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Rows with a label, the labels aligned to the model's classes, and how
    many unlabelled rows were dropped."""
    import numpy as np

    if source.target not in frame.columns:
        raise DataError(f"{source.describe()} has no target column '{source.target}'")
    labelled = frame[frame[source.target].notna()].reset_index(drop=True)
    dropped = len(frame) - len(labelled)
    if dropped:
        log.warning(
            "%d rows of %s have no label and were not scored",
            dropped,
            source.describe(),
        )
    y = labelled[source.target]
    if model.task == CLASSIFICATION:
        y = align_labels(
            y.to_numpy(dtype=object), model.classes or [], source.target_mapping
        )
    else:
        y = y.to_numpy(dtype=float)
    if model.features is None:
        labelled = labelled.drop(columns=[source.target])
    return labelled, np.asarray(y), dropped


def align_labels(
    y: np.ndarray, classes: Sequence[Any], mapping: Mapping[str, Any]
) -> np.ndarray:
    """Express labels in the model's class values (raw, mapped or unmapped
    through the target mapping, or equal as strings)."""
    import numpy as np

    known = set(classes)
    if set(y) <= known:
        return y
    candidates = []
    if mapping:
        candidates.append({k: v for k, v in mapping.items()})
        candidates.append({v: k for k, v in mapping.items()})
    by_text = {str(c): c for c in classes}
    candidates.append(by_text)
    for lookup in candidates:
        converted = np.array(
            [lookup.get(v, lookup.get(str(v), v)) for v in y], dtype=object
        )
        if set(converted) <= known:
            return converted
    unknown = sorted({str(v) for v in y} - {str(c) for c in classes})[:5]
    raise DataError(
        f"labels {', '.join(unknown)} are not classes of the model "
        f"({', '.join(map(str, classes))})",
        hint="check schema.target.mapping of the dataset definition",
    )
