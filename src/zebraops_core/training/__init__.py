"""Training: ``train_flow`` and the runner contract.

``train(ctx, model_name, ...)`` runs one MLflow run (or a grid of child
runs under a parent) through the model's runner on the profile's compute
adapter, logs lineage tags, params and outputs, and registers the model as
a new version of the registered model ``<name>``. It returns a
:class:`TrainOutcome`; ``outcome.best`` is the
:class:`~zebraops_core.interfaces.RunResult` of the registered run.
"""

from __future__ import annotations

from .flow import TrainOutcome, train, train_flow

__all__ = ["TrainOutcome", "train", "train_flow"]
