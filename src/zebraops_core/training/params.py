"""Hyperparameters: ``--params k=v`` overrides and grid expansion."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ConfigError


def parse_value(text: str) -> Any:
    """``1`` -> 1, ``0.5`` -> 0.5, ``null`` -> None, ``[1, 2]`` -> list,
    anything else stays a string (YAML's rules)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        value = YAML(typ="safe").load(text)
    except YAMLError:
        return text
    return text if isinstance(value, dict) else value


def parse_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """``["C=0.5", "class_weight=balanced"]`` -> a dict of typed values."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(
                f"--params expects KEY=VALUE, got '{pair}'",
                hint="for example: --params C=0.5 --params class_weight=balanced",
            )
        out[key] = parse_value(value.strip())
    return out


def undeclared(
    overrides: Mapping[str, Any],
    defaults: Mapping[str, Any],
    grid: Mapping[str, Any],
) -> list[str]:
    """One message per override whose key model.yaml does not declare
    (in ``hyperparams.defaults`` or ``hyperparams.grid``)."""
    import difflib

    known = sorted({*defaults, *grid})
    out = []
    for key in overrides:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        out.append(
            f"--params {key}: model.yaml declares no such hyperparameter"
            + (f"; did you mean '{close[0]}'?" if close else "")
            + f" (declared: {', '.join(known) or 'none'})"
        )
    return out


def expand_grid(
    defaults: Mapping[str, Any],
    grid: Mapping[str, list[Any]],
    overrides: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every combination of the grid's values over the defaults.

    An override fixes its key to one value (a list override becomes that
    key's axis). Order: the grid's keys as written, values as listed.
    """
    overrides = dict(overrides or {})
    axes: dict[str, list[Any]] = {k: list(v) for k, v in grid.items()}
    for key, value in overrides.items():
        axes[key] = list(value) if isinstance(value, list) else [value]
    for key, values in axes.items():
        if not values:
            raise ConfigError(f"grid axis '{key}' has no values")
    base = {k: v for k, v in defaults.items() if k not in axes}
    keys = list(axes)
    return [
        {**base, **dict(zip(keys, combo, strict=True))}
        for combo in itertools.product(*(axes[k] for k in keys))
    ]


def describe(point: Mapping[str, Any], keys: Iterable[str]) -> str:
    """``C=0.1 class_weight=balanced``: the grid keys of one point."""
    return " ".join(f"{k}={point.get(k)}" for k in keys)
