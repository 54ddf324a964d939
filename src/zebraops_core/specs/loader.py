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
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from ..errors import SpecError

T = TypeVar("T")
PathPart = typing.Union[str, int]

_converter: cattrs.Converter | None = None


def converter() -> cattrs.Converter:
    """The one converter for specs: strict keys, detailed errors."""
    global _converter
    if _converter is None:
        _converter = cattrs.Converter(
            forbid_extra_keys=True, detailed_validation=True
        )
        _converter.register_structure_hook(float, _structure_float)
        _converter.register_structure_hook(int, _structure_int)
        _converter.register_structure_hook(str, _structure_str)
        _converter.register_structure_hook(bool, _structure_bool)
    return _converter


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {_show(value)}")
    return float(value)


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {_show(value)}")
    return int(value)


def _structure_str(value: Any, _: type) -> str:
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
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError([f"{display}:{line}: {problem}"]) from None
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


def structure(
    raw: Any, cls: type[T], *, display: str, raw_for_lines: Any = None
) -> T:
    """Build ``cls`` from ``raw`` or raise SpecError listing every problem."""
    lines_from = raw if raw_for_lines is None else raw_for_lines
    if not isinstance(raw, dict):
        raise SpecError([f"{display}:1: expected a mapping of fields, got {_show(raw)}"])
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


def _walk(exc: BaseException, parts: list[PathPart], cls: Any):
    """Yield (path, message) for every leaf error of a cattrs error tree."""
    if isinstance(exc, ForbiddenExtraKeysError):
        known = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        for key in sorted(exc.extra_fields):
            message = f"unknown key '{key}'"
            close = difflib.get_close_matches(key, known, n=1)
            if close:
                message += f"; did you mean '{close[0]}'?"
            elif known:
                message += f"; expected one of: {', '.join(known)}"
            yield [*parts, key], message
        return
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            step: PathPart
            if hasattr(note, "name"):
                step = note.name
            else:
                step = note.index
            yield from _walk(sub, [*parts, step], getattr(note, "type", None))
        for sub in without:
            yield from _walk(sub, parts, cls)
        return
    if isinstance(exc, KeyError) and parts:
        yield parts, "required field is missing"
        return
    yield parts, _leaf_message(exc, cls)


def _leaf_message(exc: BaseException, cls: Any) -> str:
    origin = typing.get_origin(cls)
    if origin is typing.Literal:
        choices = [str(c) for c in typing.get_args(cls)]
        got = getattr(exc, "args", [None])
        value = _extract_value(exc)
        expected = " or ".join(choices) if len(choices) <= 2 else (
            ", ".join(choices[:-1]) + f" or {choices[-1]}"
        )
        return f"expected {expected}" + (f", got {value}" if value else "")
        del got
    text = str(exc)
    if isinstance(exc, TypeError) and text.startswith("expected"):
        return text
    if "expected" in text:
        return text
    return f"invalid value: {text}" if text else f"invalid value ({type(exc).__name__})"


def _extract_value(exc: BaseException) -> str | None:
    text = str(exc)
    match = re.search(r"(\S+) not in literal", text)
    if match:
        return match.group(1)
    return None
