"""Build the plugin manager and look up the implementations plugins register.

Nothing happens at import: :func:`get_plugin_manager` builds the manager the
first time it is called. Plugins come from the ``zebraops`` entry-point group;
the built-in ones register through that same group from ``zebraops``' own
``pyproject.toml``.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

import attrs
import pluggy

from . import hookspecs
from .errors import PluginError

log = logging.getLogger(__name__)

#: The entry-point group every ZebraOps plugin registers under.
ENTRYPOINT_GROUP = "zebraops"
#: Comma-separated plugin names to skip, or ``all`` / ``*`` for every one.
DISABLE_ENV = "ZEBRA_DISABLE_PLUGINS"

#: Registration hooks, keyed by the kind of implementation they return.
KINDS = {
    "connector": "register_connectors",
    "runner": "register_runners",
    "gate": "register_gates",
    "monitor": "register_monitors",
    "compute_adapter": "register_compute_adapters",
    "command": "register_commands",
}

#: Where to get an implementation that is not installed.
KNOWN_DISTRIBUTIONS = {
    ("compute_adapter", "vast"): "zebraops-vast",
    ("compute_adapter", "sagemaker"): "zebraops-sagemaker",
    ("compute_adapter", "vertex"): "zebraops-vertex",
    ("compute_adapter", "local"): "zebraops-local",
    ("runner", "python"): "zebraops-python",
    ("runner", "notebook"): "zebraops-notebook",
    ("connector", "file"): "zebraops-fsspec",
    ("connector", "sql"): "zebraops-sql",
    ("monitor", "evidently"): "zebraops-evidently",
    ("gate", "threshold"): "zebraops-gates",
    ("gate", "champion"): "zebraops-gates",
    ("gate", "lineage"): "zebraops-gates",
}


class ZebraPluginWarning(UserWarning):
    """A plugin failed to load and was skipped."""


@attrs.frozen
class PluginInfo:
    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    provides: dict[str, tuple[str, ...]]


_manager: pluggy.PluginManager | None = None


def disabled_plugins() -> set[str]:
    value = os.environ.get(DISABLE_ENV, "")
    return {name.strip() for name in value.split(",") if name.strip()}


def make_plugin_manager(
    *, entrypoints: bool = True, extra: tuple[Any, ...] = ()
) -> pluggy.PluginManager:
    """Build a plugin manager with the hookspecs and every installed plugin.

    :param entrypoints: load plugins from the ``zebraops`` entry-point group.
    :param extra: plugin objects (modules or instances) to register as well,
        e.g. test plugins. Registered after the entry points.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.zebra_dists = {}  # type: ignore[attr-defined]
    if entrypoints:
        _load_entrypoints(pm)
    for plugin in extra:
        _register(pm, plugin, getattr(plugin, "__name__", None))
    return pm


def _load_entrypoints(pm: pluggy.PluginManager) -> None:
    from importlib.metadata import entry_points

    disabled = disabled_plugins()
    everything = bool(disabled & {"all", "*"})
    seen: set[str] = set()
    for ep in sorted(entry_points(group=ENTRYPOINT_GROUP), key=lambda e: e.name):
        if ep.name in seen:
            continue
        seen.add(ep.name)
        if everything or ep.name in disabled:
            log.debug("plugin %s disabled by %s", ep.name, DISABLE_ENV)
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not break the CLI
            dist = ep.dist.name if ep.dist else "?"
            warnings.warn(
                f"plugin '{ep.name}' (from {dist}) failed to load and was "
                f"skipped: {type(exc).__name__}: {exc}",
                ZebraPluginWarning,
                stacklevel=2,
            )
            continue
        _register(pm, plugin, ep.name)
        dist = ep.dist
        pm.zebra_dists[ep.name] = (  # type: ignore[attr-defined]
            (dist.name, dist.version) if dist else (None, None)
        )


def _register(pm: pluggy.PluginManager, plugin: Any, name: str | None) -> None:
    if isinstance(plugin, type):
        raise PluginError(
            f"plugin '{name}' is a class; register an instance or a module"
        )
    try:
        pm.register(plugin, name=name)
    except ValueError as exc:
        raise PluginError(f"plugin '{name}' registered twice: {exc}") from None
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin '{name}' is invalid: {exc}") from None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, built on first use."""
    global _manager
    if _manager is None:
        _manager = make_plugin_manager()
    return _manager


def set_plugin_manager(pm: pluggy.PluginManager | None) -> None:
    """Replace the process-wide manager (tests, embedding applications)."""
    global _manager
    _manager = pm
    _cache.clear()


_cache: dict[tuple[int, str], dict[str, tuple[str, Any]]] = {}


def implementations(
    kind: str, pm: pluggy.PluginManager | None = None
) -> dict[str, tuple[str, Any]]:
    """Merge every plugin's answer to ``register_<kind>s``.

    :return: type name -> (plugin name, implementation).
    :raises PluginError: when two plugins claim one type name.
    """
    pm = pm or get_plugin_manager()
    key = (id(pm), kind)
    if key in _cache:
        return _cache[key]
    hook: Any = getattr(pm.hook, KINDS[kind])
    found: dict[str, tuple[str, Any]] = {}
    for impl in reversed(hook.get_hookimpls()):
        plugin_name = impl.plugin_name
        try:
            answer = impl.function()
        except Exception as exc:
            raise PluginError(
                f"plugin '{plugin_name}' failed in {KINDS[kind]}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        for type_name, implementation in (answer or {}).items():
            if type_name in found:
                other = found[type_name][0]
                raise PluginError(
                    f"{kind} type '{type_name}' is provided by both plugin "
                    f"'{other}' and plugin '{plugin_name}'",
                    hint=f"uninstall one, or disable it with {DISABLE_ENV}",
                )
            found[type_name] = (plugin_name, implementation)
    _cache[key] = found
    return found


def get_implementation(
    kind: str, type_name: str, pm: pluggy.PluginManager | None = None
) -> Any:
    """The implementation registered for ``type_name``, or a PluginError
    saying which distribution provides it."""
    found = implementations(kind, pm)
    if type_name in found:
        return found[type_name][1]
    label = kind.replace("_", " ")
    dist = KNOWN_DISTRIBUTIONS.get((kind, type_name))
    installed = ", ".join(sorted(found)) or "none"
    hint = (
        f"pip install {dist}"
        if dist
        else "install the plugin that provides it, then check `zebra plugins`"
    )
    raise PluginError(
        f"no {label} named '{type_name}' is installed (installed: {installed})",
        hint=hint,
    )


def describe_plugins(pm: pluggy.PluginManager | None = None) -> list[PluginInfo]:
    """What ``zebra plugins`` shows: each plugin, its distribution and what
    it provides."""
    pm = pm or get_plugin_manager()
    dists = getattr(pm, "zebra_dists", {})
    infos = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or []))
        provides: dict[str, tuple[str, ...]] = {}
        for kind, hook_name in KINDS.items():
            if hook_name not in hooks:
                continue
            types = [
                t
                for t, (owner, _) in implementations(kind, pm).items()
                if owner == name
            ]
            if types:
                provides[kind] = tuple(sorted(types))
        dist, version = dists.get(name, (None, None))
        infos.append(PluginInfo(name, dist, version, hooks, provides))
    return infos


def call_lifecycle(hook_name: str, **kwargs: Any) -> None:
    """Call an observing hook on every plugin, newest first.

    Each observer runs on its own: one that raises is logged (naming the
    plugin) and the others still run; the caller never sees the error.
    """
    pm = get_plugin_manager()
    hook: Any = getattr(pm.hook, hook_name)
    impls = hook.get_hookimpls()
    if any(i.hookwrapper or getattr(i, "wrapper", False) for i in impls):
        try:  # wrappers need pluggy's own call loop
            hook(**kwargs)
        except Exception as exc:
            log.warning("a %s hook failed: %s", hook_name, exc)
            log.debug("%s failure", hook_name, exc_info=True)
        return
    for impl in reversed(impls):
        try:
            impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:
            log.warning(
                "plugin '%s' failed in %s: %s: %s",
                impl.plugin_name,
                hook_name,
                type(exc).__name__,
                exc,
            )
            log.debug("%s failure", hook_name, exc_info=True)
