"""The served model: loading a registry version, predicting, and following
the alias (hot swap).

Scikit-learn models are loaded with ``mlflow.sklearn`` and called directly
(``predict_proba`` once, predictions derived from it when that matches the
model's own ``predict``); any other flavor goes through ``mlflow.pyfunc``.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import attrs
import numpy as np

from zebraops_core import tracking

from .validation import ColumnSpec

log = logging.getLogger(__name__)


@attrs.frozen
class Prediction:
    """Model outputs for some rows: predictions and, for classifiers,
    class probabilities (rows x classes)."""

    predictions: np.ndarray
    probabilities: np.ndarray | None = None

    def slice(self, start: int, stop: int) -> Prediction:
        proba = None if self.probabilities is None else self.probabilities[start:stop]
        return Prediction(self.predictions[start:stop], proba)


@attrs.define(eq=False)
class LoadedModel:
    """One registry version in memory. Never mutated after loading."""

    name: str
    alias: str
    version: str
    run_id: str | None
    flavor: str
    model: Any
    columns: list[ColumnSpec] | None
    classes: list[Any] | None
    dataset_ids: dict[str, str]
    loaded_at: str
    load_seconds: float
    #: True when predictions come from argmax of predict_proba.
    derive_from_proba: bool = False

    def predict(self, X: Any) -> Prediction:
        if self.flavor != "sklearn":
            out = self.model.predict(X)
            return Prediction(_as_array(out))
        if self.classes is None:
            return Prediction(np.asarray(self.model.predict(X)))
        proba = np.asarray(self.model.predict_proba(X), dtype=float)
        if self.derive_from_proba:
            preds = np.asarray(self.classes, dtype=object)[np.argmax(proba, axis=1)]
        else:
            preds = np.asarray(self.model.predict(X))
        return Prediction(preds, proba)

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "alias": self.alias,
            "version": self.version,
            "run_id": self.run_id,
            "flavor": self.flavor,
            "classes": self.classes,
            "dataset_manifest_ids": self.dataset_ids,
            "loaded_at": self.loaded_at,
            "load_seconds": round(self.load_seconds, 4),
            "input_columns": None
            if self.columns is None
            else [c.to_json() for c in self.columns],
        }


def _as_array(out: Any) -> np.ndarray:
    if hasattr(out, "to_numpy"):
        out = out.to_numpy()
    arr = np.asarray(out)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr


def _signature_columns(mlmodel: Any) -> list[ColumnSpec] | None:
    sig = getattr(mlmodel, "signature", None)
    if sig is None or sig.inputs is None or not sig.inputs.has_input_names():
        return None
    cols = []
    for spec in sig.inputs.inputs:
        kind = getattr(getattr(spec, "type", None), "name", None) or "any"
        cols.append(ColumnSpec(spec.name, kind, bool(getattr(spec, "required", True))))
    return cols


def load_version(tracking_uri: str, name: str, alias: str, version: str) -> LoadedModel:
    """Load ``models:/name/version`` (a pinned version, so a moving alias
    cannot change what is loaded halfway)."""
    import mlflow
    from mlflow.models import Model
    from mlflow.tracking import MlflowClient

    started = time.perf_counter()
    client = MlflowClient(tracking_uri=tracking_uri)
    mv = client.get_model_version(name, version)
    tags = dict(mv.tags or {})
    if not any(k.startswith(tracking.TAG_DATASET_PREFIX) for k in tags) and mv.run_id:
        try:
            tags = {**client.get_run(mv.run_id).data.tags, **tags}
        except Exception:  # the run may live in another workspace
            log.debug("run %s of %s/%s not readable", mv.run_id, name, version)
    datasets = {
        k[len(tracking.TAG_DATASET_PREFIX) :]: v
        for k, v in sorted(tags.items())
        if k.startswith(tracking.TAG_DATASET_PREFIX)
    }
    # A private copy: the artifact store path itself must never be touched.
    with tempfile.TemporaryDirectory(prefix="zebra-serve-") as tmp:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=client.get_model_version_download_uri(name, version),
            dst_path=tmp,
            tracking_uri=tracking_uri,
        )
        mlmodel = Model.load(local)
        columns = _signature_columns(mlmodel)
        if "sklearn" in mlmodel.flavors:
            model = mlflow.sklearn.load_model(local)
            flavor = "sklearn"
        else:
            model = mlflow.pyfunc.load_model(local)
            flavor = "pyfunc"
        example = _input_example(mlmodel, local)
    classes = None
    derive = False
    if (
        flavor == "sklearn"
        and hasattr(model, "predict_proba")
        and hasattr(model, "classes_")
    ):
        classes = [_plain(c) for c in model.classes_]
        derive = _argmax_matches_predict(model, example)
    return LoadedModel(
        name=name,
        alias=alias,
        version=str(version),
        run_id=mv.run_id,
        flavor=flavor,
        model=model,
        columns=columns,
        classes=classes,
        dataset_ids=datasets,
        loaded_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        load_seconds=time.perf_counter() - started,
        derive_from_proba=derive,
    )


def _input_example(mlmodel: Any, local: str) -> Any:
    try:
        return mlmodel.load_input_example(local)
    except Exception:
        return None


def _argmax_matches_predict(model: Any, example: Any) -> bool:
    """Whether classes_[argmax(predict_proba)] equals predict on the model's
    input example (true for logistic regression, trees, boosting...); when
    unsure, call both."""
    if example is None:
        return False
    try:
        proba = np.asarray(model.predict_proba(example))
        derived = np.asarray(model.classes_)[np.argmax(proba, axis=1)]
        return bool(np.array_equal(derived, np.asarray(model.predict(example))))
    except Exception:
        log.debug("input example did not run; calling predict too", exc_info=True)
        return False


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class ModelHolder:
    """The current model, swapped atomically when the alias moves.

    Requests read :attr:`current` once and keep that object, so a request in
    flight finishes on the model it started with.
    """

    def __init__(
        self,
        tracking_uri: str,
        name: str,
        alias: str,
        poll_interval: float,
        on_loaded: Callable[[LoadedModel, LoadedModel | None], None] | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.name = name
        self.alias = alias
        self.poll_interval = poll_interval
        self.on_loaded = on_loaded
        self.current: LoadedModel | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failed: tuple[str, float] | None = None

    def resolve(self) -> str:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=self.tracking_uri)
        return str(client.get_model_version_by_alias(self.name, self.alias).version)

    def refresh(self) -> bool:
        """Load the alias's version if it differs from the current one.

        :return: True when a new model was swapped in.
        """
        try:
            version = self.resolve()
        except Exception as exc:
            reason = f"cannot resolve models:/{self.name}@{self.alias}: {_short(exc)}"
            if self.current is None:
                self.error = reason
            log.warning("%s", reason)
            return False
        current = self.current
        if current is not None and current.version == version:
            return False
        # Retry a version that failed to load only after a few intervals.
        if (
            self._failed
            and self._failed[0] == version
            and (time.monotonic() - self._failed[1] < max(30.0, 3 * self.poll_interval))
        ):
            return False
        try:
            loaded = load_version(self.tracking_uri, self.name, self.alias, version)
        except Exception as exc:
            self._failed = (version, time.monotonic())
            reason = f"loading {self.name} version {version} failed: {_short(exc)}"
            log.warning("%s", reason, exc_info=log.isEnabledFor(logging.DEBUG))
            if self.current is None:
                self.error = reason
            return False
        self.current = loaded  # the atomic swap
        self.error = None
        self._failed = None
        log.info(
            "serving %s version %s (%s), loaded in %.2fs",
            self.name,
            version,
            self.alias,
            loaded.load_seconds,
        )
        if self.on_loaded is not None:
            try:
                self.on_loaded(loaded, current)
            except Exception:
                log.warning("on_loaded callback failed", exc_info=True)
        return True

    def start_polling(self) -> None:
        if self.poll_interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._poll, name="zebra-serve-alias-poller", daemon=True
        )
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.refresh()
            except Exception:  # never let the poller die
                log.warning("alias poll failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]
