"""Event records and their JSON Schemas (``schemas/events/<kind>.schema.json``).

:func:`validate_event` checks one record before anything emits it and raises
a :class:`DataError` naming the offending field. :func:`append_events` writes
validated records as JSON Lines under the object store.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, DataError

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

KINDS = (
    "prediction_event",
    "data_quality_event",
    "drift_event",
    "label_event",
    "performance_event",
    "incident_event",
)
#: Overrides where the schemas live (default: the wheel's copy, or the
#: checkout's schemas/events in an editable install).
SCHEMAS_ENV = "ZEBRA_EVENT_SCHEMAS"


def schemas_dir() -> Path:
    if os.environ.get(SCHEMAS_ENV):
        return Path(os.environ[SCHEMAS_ENV])
    here = Path(__file__).resolve().parent
    packaged = here / "schemas" / "events"  # inside a wheel
    return packaged if packaged.is_dir() else here.parents[1] / "schemas" / "events"


@cache
def _validator(kind: str, folder: str) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    path = Path(folder) / f"{kind}.schema.json"
    if not path.is_file():
        raise ConfigError(
            f"no schema for event '{kind}' at {path}",
            hint=f"set {SCHEMAS_ENV} to the schemas/events folder",
        )
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _field(error: Any) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        # "'label' is a required property": name the missing field itself
        missing = str(error.message).split("'")
        if len(missing) >= 2:
            parts.append(missing[1])
    return ".".join(parts) or "(record)"


def validate_event(kind: str, record: Mapping[str, Any]) -> None:
    """Raise :class:`DataError` naming the field when ``record`` does not
    match the ``kind`` schema."""
    if kind not in KINDS:
        raise ConfigError(f"unknown event kind '{kind}' (kinds: {', '.join(KINDS)})")
    validator = _validator(kind, str(schemas_dir()))
    errors = sorted(
        validator.iter_errors(dict(record)),
        key=lambda e: (len(list(e.absolute_path)), str(e.message)),
    )
    if not errors:
        return
    first = errors[0]
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    raise DataError(
        f"{kind}: field '{_field(first)}': {first.message}{more}",
        hint=f"see {schemas_dir() / (kind + '.schema.json')}",
    )


def events_uri(settings: Settings, model: str, kind: str) -> str:
    return settings.object_uri("events", model, f"{kind}.jsonl")


def append_events(
    settings: Settings, model: str, kind: str, records: Iterable[Mapping[str, Any]]
) -> str:
    """Validate every record, then append them to the model's ``kind`` log."""
    records = list(records)
    for record in records:
        validate_event(kind, record)
    uri = events_uri(settings, model, kind)
    lines = "".join(json.dumps(r, default=str, sort_keys=True) + "\n" for r in records)
    if "://" not in uri:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        with open(uri, "a", encoding="utf-8") as fh:
            fh.write(lines)
        return uri
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri, **settings.storage_options)
    existing = fs.cat_file(path).decode() if fs.exists(path) else ""
    fs.pipe_file(path, (existing + lines).encode())  # object stores: rewrite
    return uri


def read_events(settings: Settings, model: str, kind: str) -> list[dict[str, Any]]:
    uri = events_uri(settings, model, kind)
    if "://" not in uri:
        if not Path(uri).is_file():
            return []
        text = Path(uri).read_text(encoding="utf-8")
    else:
        import fsspec

        fs, path = fsspec.core.url_to_fs(uri, **settings.storage_options)
        if not fs.exists(path):
            return []
        text = fs.cat_file(path).decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]
