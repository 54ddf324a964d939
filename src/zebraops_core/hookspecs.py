"""Every hook ZebraOps calls, in one module.

Names state the contract:

* ``register_*`` hooks return implementations keyed by the type name that YAML
  files use (``connector: csv``, ``type: python``, ``gates: [threshold]``).
  Every plugin's answer is collected; two plugins claiming one type name is an
  error that names both.
* ``before_*``, ``after_*`` and ``on_*_error`` observe the lifecycle. Their
  return values are ignored and they run in registration order, newest first
  (:func:`zebraops_core.plugins.call_lifecycle`); one that raises is logged,
  naming its plugin, and the others still run.

No hook here is ``firstresult``: each docstring says so again where it matters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .interfaces import (
        ComputeAdapter,
        Connector,
        Gate,
        Monitor,
        PromotionEntry,
        RunContext,
        Runner,
        RunResult,
    )

PROJECT_NAME = "zebraops"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- Implementations ------------------------------------------------------


@hookspec
def register_connectors() -> dict[str, type[Connector]]:
    """Return the data connectors this plugin provides.

    Fires once, the first time a dataset is read or ``zebra plugins`` runs.

    :return: a mapping of connector type name (the ``connector:`` value of a
        dataset definition) to a class implementing
        :class:`zebraops_core.interfaces.Connector`. Called for every plugin;
        the answers are merged and a type name claimed twice is an error.
    """


@hookspec
def register_runners() -> dict[str, type[Runner]]:
    """Return the runners this plugin provides.

    Fires once, the first time a model is trained or ``zebra plugins`` runs.

    :return: a mapping of runner type name (the ``type:`` value of a model
        spec, e.g. ``python`` or ``notebook``) to a class implementing
        :class:`zebraops_core.interfaces.Runner`. Called for every plugin;
        the answers are merged and a type name claimed twice is an error.
    """


@hookspec
def register_gates() -> dict[str, type[Gate]]:
    """Return the promotion gates this plugin provides.

    Fires once, the first time a promotion is evaluated or ``zebra plugins``
    runs.

    :return: a mapping of gate name (as listed under ``promotion.gates`` in a
        model spec) to a class implementing
        :class:`zebraops_core.interfaces.Gate`. Called for every plugin; the
        answers are merged and a name claimed twice is an error.
    """


@hookspec
def register_monitors() -> dict[str, type[Monitor]]:
    """Return the data monitors this plugin provides.

    Fires once, the first time ``zebra monitor`` runs or ``zebra plugins``
    lists plugins.

    :return: a mapping of monitor name (``monitoring.monitor`` in a model
        spec) to a class implementing
        :class:`zebraops_core.interfaces.Monitor`. Called for every plugin;
        the answers are merged and a name claimed twice is an error.
    """


@hookspec
def register_compute_adapters() -> dict[str, type[ComputeAdapter]]:
    """Return the compute adapters this plugin provides.

    Fires once, the first time a job is submitted or ``zebra plugins`` runs.

    :return: a mapping of adapter name (``compute:`` in a profile, e.g.
        ``local`` or ``vast``) to a class implementing
        :class:`zebraops_core.interfaces.ComputeAdapter`. Called for every
        plugin; the answers are merged and a name claimed twice is an error.
    """


@hookspec
def register_commands() -> dict[str, str]:
    """Return extra ``zebra`` subcommands, without importing them.

    Fires every time the CLI starts, so an implementation must not import
    anything heavy.

    :return: a mapping of command name to an import path ``"module:attribute"``
        of a :class:`click.Command`. The command module is imported only when
        the command runs or its help is shown. Called for every plugin; a name
        claimed twice, or one shadowing a core command, is an error.
    """


@hookspec
def register_serving_routes(model_name: str) -> list[Any]:
    """Return extra HTTP routes for ``zebra serve``.

    Fires once per server start, after the model app is built and before it
    accepts requests.

    :param model_name: the registered model the server is serving.
    :return: a list of :class:`fastapi.APIRouter` objects mounted on the app
        as they are. Called for every plugin; all routers are mounted.
    """


# -- Lifecycle ------------------------------------------------------------


@hookspec
def before_run(context: RunContext) -> None:
    """Observe a training run about to start.

    Fires after the MLflow run exists and the config is written, before the
    runner's job is submitted to the compute adapter.

    :param context: the run's model spec, manifests, MLflow run id, config
        path, output directory and hyperparameters.
    :return: ignored. Every implementation is called.
    """


@hookspec
def after_run(context: RunContext, result: RunResult) -> None:
    """Observe a training run that finished successfully.

    Fires after outputs were logged and the model version registered.

    :param context: as for :func:`before_run`.
    :param result: status, metrics, registered version and artifact URIs.
    :return: ignored. Every implementation is called.
    """


@hookspec
def on_run_error(context: RunContext, error: BaseException) -> None:
    """Observe a training run that failed.

    Fires after the MLflow run was marked FAILED, before the error reaches the
    caller. It mirrors :func:`before_run` plus the error.

    :param context: as for :func:`before_run`.
    :param error: the exception that ended the run.
    :return: ignored. Every implementation is called.
    """


@hookspec
def after_ingest(dataset_id: str, manifest: Any, created: bool) -> None:
    """Observe a finished ingest.

    Fires after the manifest is written and recorded in the state store.

    :param dataset_id: the dataset definition's id.
    :param manifest: the :class:`zebraops_core.specs.Manifest` produced.
    :param created: ``False`` when the source was unchanged and an existing
        manifest was returned.
    :return: ignored. Every implementation is called.
    """


@hookspec
def after_promote(entry: PromotionEntry) -> None:
    """Observe a promotion or rollback that moved an alias.

    Fires after the ledger entry is committed and the alias moved; a refused
    promotion does not fire it.

    :param entry: the ledger entry: time, actor, model, alias, from and to
        versions, gate verdicts, forced flag and reason.
    :return: ignored. Every implementation is called.
    """


@hookspec
def after_monitor(model_name: str, result: Any) -> None:
    """Observe a finished monitoring check.

    Fires after the result is stored in the state store and the report saved.

    :param model_name: the registered model that was checked.
    :param result: the :class:`zebraops_core.interfaces.MonitorResult`.
    :return: ignored. Every implementation is called.
    """
