"""JSON Schemas generated from the spec attrs classes.

The committed files in ``schemas/`` are the output of this module; a test
keeps them equal. Regenerate them after changing a spec class::

    python -m zebraops_core.specs.jsonschema --write schemas/

Editors (with a YAML language server) and other tools can validate
``model.yaml``, ``data_sources/*.yaml`` and manifests against them. The
loaders in :mod:`zebraops_core.specs` remain the reference: they also check
rules a schema cannot express (ratios summing to 1, a target column that is
declared...).
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from pathlib import Path
from typing import Any

import attrs

from .dataset import DatasetDefinition
from .manifest import Manifest
from .model import ModelSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://zebraops.dev/schemas/"

#: File name in ``schemas/`` -> (class, title, fields optional in files).
SCHEMAS: dict[str, tuple[type, str, frozenset[str]]] = {
    "model-spec.schema.json": (
        ModelSpec,
        "ZebraOps model spec (models/<name>/model.yaml)",
        frozenset(),
    ),
    "dataset-definition.schema.json": (
        DatasetDefinition,
        "ZebraOps dataset definition (data_sources/<id>.yaml)",
        # The loader fills ``id`` from the file name.
        frozenset({"id"}),
    ),
    "manifest.schema.json": (
        Manifest,
        "ZebraOps dataset manifest (cached_data/manifests/<id>.json)",
        frozenset(),
    ),
}


def schema_for(cls: type, *, title: str = "", optional: frozenset[str] = frozenset()):
    """A JSON Schema (2020-12) for an attrs spec class, nested classes in
    ``$defs``."""
    defs: dict[str, Any] = {}
    root = _object_schema(cls, defs, optional)
    schema: dict[str, Any] = {"$schema": SCHEMA_DIALECT}
    name = next((file for file, (c, _, _) in SCHEMAS.items() if c is cls), cls.__name__)
    schema["$id"] = BASE_ID + name
    if title:
        schema["title"] = title
    schema.update(root)
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema


def _object_schema(
    cls: type, defs: dict[str, Any], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    attrs.resolve_types(cls)
    properties: dict[str, Any] = {}
    required = []
    for field in attrs.fields(cls):
        prop = _type_schema(field.type, defs)
        default = _default(field)
        if default is not attrs.NOTHING:
            prop["default"] = default
        elif field.name not in optional:
            required.append(field.name)
        properties[field.name] = prop
    out: dict[str, Any] = {"type": "object"}
    doc = (cls.__doc__ or "").strip()
    if doc and not doc.startswith(cls.__name__ + "("):
        out["description"] = doc.splitlines()[0]
    out["properties"] = properties
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    return out


def _default(field: attrs.Attribute) -> Any:
    default = field.default
    if default is attrs.NOTHING:
        return attrs.NOTHING
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            return attrs.NOTHING
        default = default.factory()
    if attrs.has(type(default)):
        from .loader import converter

        return converter().unstructure(default)
    return default


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if tp is typing.Any or tp is object:
        return {}
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is type(None):
        return {"type": "null"}
    if attrs.has(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            defs[name] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        options = [_type_schema(a, defs) for a in args]
        return {"anyOf": options}
    if origin is list or tp is list:
        item = _type_schema(args[0], defs) if args else {}
        return {"type": "array", "items": item}
    if origin is dict or tp is dict:
        value = _type_schema(args[1], defs) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value}
    raise TypeError(f"no JSON Schema mapping for {tp!r}")


def generate() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every spec kind."""
    return {
        file: schema_for(cls, title=title, optional=optional)
        for file, (cls, title, optional) in SCHEMAS.items()
    }


def render(schema: dict[str, Any]) -> str:
    """The exact text committed in ``schemas/``."""
    return json.dumps(schema, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zebraops_core.specs.jsonschema",
        description="Print or write the JSON Schemas of ZebraOps specs.",
    )
    parser.add_argument(
        "--write", metavar="DIR", type=Path, help="write every schema into DIR"
    )
    parser.add_argument(
        "kind",
        nargs="?",
        choices=["model", "dataset", "manifest"],
        help="print one schema (default: all, as one JSON object)",
    )
    args = parser.parse_args(argv)
    schemas = generate()
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for file, schema in schemas.items():
            (args.write / file).write_text(render(schema), encoding="utf-8")
        return 0
    if args.kind:
        file = next(f for f in schemas if f.startswith(args.kind))
        sys.stdout.write(render(schemas[file]))
    else:
        sys.stdout.write(render(schemas))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
