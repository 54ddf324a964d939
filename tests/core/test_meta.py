"""Meta-tests: every hookspec is documented in docs/hooks.md (name and every
argument) and used by at least one test; every interface method and spec
field is documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import attrs
import pytest

from zebraops_core import hookspecs, interfaces
from zebraops_core.specs import DatasetDefinition, Manifest, ModelSpec

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"


def _hookspecs() -> dict[str, list[str]]:
    found = {}
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(func, f"{hookspecs.PROJECT_NAME}_spec"):
            found[name] = list(inspect.signature(func).parameters)
    return found


HOOKS = _hookspecs()


def _sections(text: str) -> dict[str, str]:
    """``### `name(...)` `` heading -> the text up to the next heading."""
    parts = re.split(r"^### `([a-z_]+)\(.*\)`\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_hookspecs_are_found():
    assert {"register_connectors", "before_run", "after_monitor"} <= set(HOOKS)
    assert HOOKS["after_ingest"] == ["dataset_id", "manifest", "created"]


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_is_documented_with_every_argument(hook: str):
    sections = _sections((DOCS / "hooks.md").read_text("utf-8"))
    assert hook in sections, f"docs/hooks.md has no '### `{hook}(...)`' section"
    heading = re.search(
        rf"^### `{hook}\((.*)\)`",
        (DOCS / "hooks.md").read_text("utf-8"),
        flags=re.MULTILINE,
    )
    listed = [a.strip() for a in heading.group(1).split(",") if a.strip()]
    assert listed == HOOKS[hook], f"docs/hooks.md heading of {hook} is stale"
    for arg in HOOKS[hook]:
        assert f"`{arg}`" in sections[hook], (
            f"docs/hooks.md does not describe argument `{arg}` of {hook}"
        )


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_is_used_by_a_test(hook: str):
    this = Path(__file__).resolve()
    users = [
        p
        for p in TESTS.rglob("*.py")
        if p.resolve() != this and re.search(rf"\b{hook}\b", p.read_text("utf-8"))
    ]
    assert users, f"no file under tests/ uses the hook {hook}"


def test_every_hookspec_docstring_states_when_it_fires_and_returns():
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction):
        if name not in HOOKS:
            continue
        doc = inspect.getdoc(func) or ""
        assert "Fires" in doc, f"{name}: say when it fires"
        assert ":return:" in doc, f"{name}: say what it returns"
        for arg in HOOKS[name]:
            assert f":param {arg}:" in doc, f"{name}: document {arg}"


INTERFACES = ("Connector", "Runner", "ComputeAdapter", "Gate", "Monitor")


@pytest.mark.parametrize("name", INTERFACES)
def test_interface_methods_are_documented(name: str):
    text = (DOCS / "interfaces.md").read_text("utf-8")
    assert f"## {name}" in text
    cls = getattr(interfaces, name)
    section = text.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
    for method in sorted(cls.__abstractmethods__):
        assert f"`{method}(" in section, (
            f"docs/interfaces.md: {name}.{method} is not documented"
        )


def _fields(cls: type, prefix: str = "") -> list[str]:
    attrs.resolve_types(cls)
    out = []
    for field in attrs.fields(cls):
        out.append(prefix + field.name)
        if attrs.has(field.type):
            out += _fields(field.type, prefix + field.name + ".")
    return out


@pytest.mark.parametrize(
    "cls", [ModelSpec, DatasetDefinition, Manifest], ids=lambda c: c.__name__
)
def test_spec_fields_are_documented(cls: type):
    text = (DOCS / "specs.md").read_text("utf-8")
    missing = [
        f
        for f in _fields(cls)
        if f"`{f}`" not in text
        and f"`{f}." not in text
        and f"`{f.rsplit('.', 1)[-1]}`" not in text
    ]
    assert missing == [], f"docs/specs.md does not describe {missing}"
