"""Load YAML and JSON specs into attrs classes, with located errors.

Every problem names the file, the line and the field path, says what was
expected and, for unknown keys, suggests the closest known one::

    models/churn/model.yaml:12: metrics[0].direction: expected maximize or
    minimize, got 'up'
"""

from __future__ import annotations

import difflib
import io
import json
import re
import sys
import typing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.errors import (
    CattrsError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_structure_fn

from ..errors import SpecError

if sys.version_info < (3, 11):  # cattrs depends on the backport there
    from exceptiongroup import BaseExceptionGroup

T = TypeVar("T")
PathPart = typing.Union[str, int]  # noqa: UP007 - a runtime alias on 3.10

_converter: cattrs.Converter | None = None


def converter() -> cattrs.Converter:
    """The one converter for specs: strict keys, detailed errors, and plain
    messages for wrong shapes (a list where a mapping belongs...)."""
    global _converter
    if _converter is None:
        conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
        conv.register_structure_hook(float, _structure_float)
        conv.register_structure_hook(int, _structure_int)
        conv.register_structure_hook(str, _structure_str)
        conv.register_structure_hook(bool, _structure_bool)
        conv.register_structure_hook(typing.Any, _structure_any)
        # Later registrations win: shape checks wrap cattrs' own hooks.
        conv.register_structure_hook_factory(_is_literal, _literal_hook)
        conv.register_structure_hook_factory(
            _is_list, lambda t: _checked(list, list_structure_factory(t, conv))
        )
        conv.register_structure_hook_factory(
            _is_dict, lambda t: _checked(dict, mapping_structure_factory(t, conv))
        )
        conv.register_structure_hook_factory(
            attrs.has, lambda t: _checked(dict, make_dict_structure_fn(t, conv))
        )
        _converter = conv
    return _converter


def _is_literal(t: Any) -> bool:
    return typing.get_origin(t) is typing.Literal


def _is_list(t: Any) -> bool:
    return t is list or typing.get_origin(t) is list


def _is_dict(t: Any) -> bool:
    return t is dict or typing.get_origin(t) is dict


def _checked(kind: type, base: Callable[[Any, Any], Any]) -> Callable:
    """Wrap a structure hook with a readable check of the value's shape."""
    expected = "a mapping" if kind is dict else "a list"

    def hook(value: Any, cl: Any) -> Any:
        if not isinstance(value, kind):
            raise TypeError(f"expected {expected}, got {_show(value)}")
        return base(value, cl)

    return hook


def _literal_hook(t: Any) -> Callable[[Any, Any], Any]:
    choices = typing.get_args(t)
    expected = _one_of([str(c) for c in choices])

    def hook(value: Any, _: Any) -> Any:
        if isinstance(value, bool) or value not in choices:
            raise ValueError(f"expected {expected}, got {_show(value)}")
        return value

    return hook


def _one_of(choices: list[str]) -> str:
    if len(choices) <= 2:
        return " or ".join(choices)
    return ", ".join(choices[:-1]) + f" or {choices[-1]}"


def _structure_any(value: Any, _: Any) -> Any:
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {_show(value)}")
    return float(value)


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {_show(value)}")
    return int(value)


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise TypeError(f"expected a string, got {value!r} (quote it: '{value}')")
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_show(value)}")
    return str(value)


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {_show(value)}")
    return value


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


# -- Reading files --------------------------------------------------------


def read_yaml(path: Path, *, display: str | None = None) -> Any:
    """Parse YAML keeping line numbers; syntax errors become SpecError."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    display = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([f"{display}: file not found"]) from None
    except UnicodeDecodeError as exc:
        raise SpecError(
            [f"{display}: not UTF-8 text (byte {exc.start})"],
            hint="save the file as UTF-8",
        ) from None
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        problem = exc.problem or exc.context or "cannot parse"
        raise SpecError([f"{display}:{line}: invalid YAML: {problem}"]) from None
    return data


def read_json(path: Path, *, display: str | None = None) -> Any:
    display = display or str(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError([f"{display}: file not found"]) from None
    except json.JSONDecodeError as exc:
        raise SpecError([f"{display}:{exc.lineno}: {exc.msg}"]) from None


# -- Locating -------------------------------------------------------------


def format_path(parts: Iterable[PathPart]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def line_of(raw: Any, parts: Iterable[PathPart]) -> int | None:
    """1-based line of the deepest node of ``parts`` found in ``raw``."""
    node, line = raw, _node_line(raw)
    for part in parts:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list):
                if lc is not None:
                    line = lc.item(part)[0] + 1
                node = node[part]
            elif isinstance(node, dict) and part in node:
                if lc is not None:
                    line = lc.key(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return line


def _node_line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None else None


def located(display: str, raw: Any, parts: list[PathPart], message: str) -> str:
    line = line_of(raw, parts)
    where = f"{display}:{line}" if line else display
    field = format_path(parts)
    return f"{where}: {field}: {message}" if field else f"{where}: {message}"


# -- Structuring ----------------------------------------------------------


def structure(raw: Any, cls: type[T], *, display: str, raw_for_lines: Any = None) -> T:
    """Build ``cls`` from ``raw`` or raise SpecError listing every problem."""
    lines_from = raw if raw_for_lines is None else raw_for_lines
    if not isinstance(raw, dict):
        raise SpecError(
            [f"{display}:1: expected a mapping of fields, got {_show(raw)}"]
        )
    try:
        return converter().structure(_plain(raw), cls)
    except (ClassValidationError, IterableValidationError) as exc:
        problems = [
            located(display, lines_from, parts, message)
            for parts, message in _walk(exc, [], cls)
        ]
        raise SpecError(sorted(set(problems), key=_line_key)) from None


def _line_key(problem: str) -> tuple[int, str]:
    match = re.search(r":(\d+): ", problem)
    return (int(match.group(1)) if match else 0, problem)


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _walk(
    exc: BaseException, parts: list[PathPart], cls: Any
) -> Iterator[tuple[list[PathPart], str]]:
    """Yield (path, message) for every leaf error of a cattrs error tree.

    cattrs 23-26 raise exception groups whose members carry a note naming
    the attribute (``AttributeValidationNote.name``) or the list index /
    mapping key (``IterableValidationNote.index``) that failed.
    """
    if isinstance(exc, ForbiddenExtraKeysError):
        known = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        for key in sorted(exc.extra_fields):
            message = f"unknown key '{key}'"
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if close:
                message += f"; did you mean '{close[0]}'?"
            elif known:
                message += f"; expected one of: {', '.join(known)}"
            yield [*parts, key], message
        return
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            step = note.name if hasattr(note, "name") else note.index
            yield from _walk(sub, [*parts, step], getattr(note, "type", None))
        for sub in without:
            yield from _walk(sub, parts, cls)
        return
    if isinstance(exc, BaseExceptionGroup):  # any other group: its members
        for sub in exc.exceptions:
            yield from _walk(sub, parts, cls)
        return
    if isinstance(exc, KeyError) and parts:
        yield parts, "required field is missing"
        return
    yield parts, _leaf_message(exc, cls)


def _leaf_message(exc: BaseException, cls: Any) -> str:
    text = str(exc)
    if text.startswith("expected"):
        return text
    if isinstance(exc, CattrsError) and "not in literal" in text:
        # A literal hook other than ours (should not happen; kept for safety).
        choices = [str(c) for c in typing.get_args(cls)]
        return f"expected {_one_of(choices)}" if choices else text
    name = getattr(cls, "__name__", None) or str(cls)
    return (
        f"invalid value for {name}: {text}"
        if text
        else (f"invalid value ({type(exc).__name__})")
    )
