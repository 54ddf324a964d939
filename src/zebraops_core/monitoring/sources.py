"""Where monitoring reads its two frames from.

Reference: the train split of the manifest the prod version was trained on,
found through the version's ``zebra.dataset.train`` lineage tag. Current: a
dataset id (its latest manifest), a file (csv, parquet, jsonl), or a time
window of the serving log (``serving-log``).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import tracking
from ..errors import ConfigError, DataError, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from ..context import Context
    from ..specs import Manifest, ModelSpec

log = logging.getLogger(__name__)

SERVING_LOG = "serving-log"
FILE_SUFFIXES = (".csv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")
_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@attrs.frozen
class Reference:
    frame: Any
    manifest_id: str
    version: str
    run_id: str | None
    column_types: dict[str, str]
    target: str | None
    key: str | None
    rows: int = 0


def parse_window(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``24h``, ``7d``, ``2w`` as a timedelta."""
    match = _WINDOW.match(text or "")
    if not match:
        raise ConfigError(
            f"cannot read window '{text}'",
            hint="use a number and a unit: 30m, 1h, 24h, 7d, 2w",
        )
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


# -- Manifests ----------------------------------------------------------------


def load_manifest(ctx: Context, manifest_id: str) -> Manifest:
    """The manifest by id."""
    from ..datasets import load_manifest_by_id

    return load_manifest_by_id(ctx, manifest_id)


def latest_manifest(ctx: Context, dataset_id: str) -> Manifest:
    """The newest manifest of a dataset; NotFound says how to make one."""
    from ..datasets import latest_manifest as latest

    found = latest(ctx, dataset_id)
    if found is None:
        raise NotFound(
            f"dataset '{dataset_id}' has no manifest yet",
            hint=f"run `zebra ingest {dataset_id}`",
        )
    return found


def read_table(ctx: Context, uri: str) -> pd.DataFrame:
    """A parquet, csv or jsonl file (local or any fsspec URL) as a frame."""
    return read_sampled(ctx, uri, None)[0]


def read_sampled(
    ctx: Context, uri: str, spec: ModelSpec | None
) -> tuple[pd.DataFrame, int]:
    """The file as a frame, sampled by the model's monitoring rule when one
    is given, and its total number of rows."""
    from .sampling import read_frame

    try:
        return read_frame(
            uri,
            storage_options=ctx.settings.storage_options,
            sample_rows=spec.monitoring.sample_rows if spec else None,
            seed=spec.monitoring.seed if spec else 0,
        )
    except FileNotFoundError:
        raise NotFound(f"no file at {uri}") from None
    except (ValueError, OSError) as exc:
        raise DataError(f"cannot read {uri}: {exc}") from None


def _manifest_types(
    manifest: Manifest,
) -> tuple[dict[str, str], str | None, str | None]:
    schema = manifest.schema or {}
    types = {
        c["name"]: c.get("dtype", "string")
        for c in schema.get("columns", [])
        if isinstance(c, dict) and "name" in c
    }
    target = (schema.get("target") or {}).get("column")
    return types, target, schema.get("key")


# -- Reference ----------------------------------------------------------------


def prod_reference(ctx: Context, spec: ModelSpec) -> Reference:
    """The train split the version holding the prod alias was trained on."""
    alias = spec.promotion.alias_prod
    client = tracking.client(ctx.settings)
    try:
        version = client.get_model_version_by_alias(spec.name, alias)
    except Exception:
        raise NotFound(
            f"model '{spec.name}' has no version with alias '{alias}'",
            hint=f"promote one first: `zebra promote {spec.name} --run RUN_ID "
            "--to prod`",
        ) from None
    tag = tracking.TAG_DATASET_PREFIX + "train"
    manifest_id = (version.tags or {}).get(tag)
    if not manifest_id and version.run_id:
        manifest_id = client.get_run(version.run_id).data.tags.get(tag)
    if not manifest_id:
        raise NotFound(
            f"{spec.name} version {version.version} has no '{tag}' lineage tag, "
            "so its training data is unknown",
            hint="train it with `zebra train` so its lineage is recorded",
        )
    manifest = load_manifest(ctx, manifest_id)
    split = spec.dataset_ref("train").split
    if split not in manifest.splits:
        split = "train" if "train" in manifest.splits else next(iter(manifest.splits))
    frame, rows = read_sampled(ctx, manifest.splits[split].uri, spec)
    types, target, key = _manifest_types(manifest)
    return Reference(
        frame=frame,
        manifest_id=manifest_id,
        version=str(version.version),
        run_id=version.run_id,
        rows=rows,
        column_types=types,
        target=target,
        key=key,
    )


# -- Current ------------------------------------------------------------------


def is_path(value: str) -> bool:
    return (
        "://" in value
        or value.lower().endswith(FILE_SUFFIXES)
        or (Path(value).exists())
    )


def current_frame(
    ctx: Context, spec: ModelSpec, current: str, window: str | None = None
) -> tuple[pd.DataFrame, str, int]:
    """The current frame (sampled for files), a label naming where it came
    from, and its total number of rows."""
    import pandas as pd

    if current == SERVING_LOG:
        frame = serving_inputs(ctx, spec.name, window or "24h")
        return frame, f"serving-log:{window or '24h'}", len(frame)
    if window:
        raise ConfigError("--window applies to --current serving-log only")
    if is_path(current):
        uri = current if "://" in current else str(Path(current).resolve())
        frame, rows = read_sampled(ctx, uri, spec)
        return frame, uri, rows
    manifest = latest_manifest(ctx, current)
    frames = [read_table(ctx, split.uri) for split in manifest.splits.values()]
    frame = pd.concat(frames, ignore_index=True)
    return frame, f"manifest:{manifest.id}", len(frame)


def serving_log_dir(ctx: Context, model: str) -> str:
    return ctx.settings.object_uri("serving_logs", model)


def read_events(
    ctx: Context, model: str, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Every prediction_event under the model's serving-log folder."""
    import fsspec

    root = serving_log_dir(ctx, model)
    fs, path = fsspec.core.url_to_fs(
        root, **(ctx.settings.storage_options if "://" in root else {})
    )
    if not fs.exists(path):
        return []
    files = sorted(
        f
        for f in fs.find(path)
        if f.endswith((".jsonl", ".ndjson", ".jsonl.gz"))
        and not f.rsplit("/", 1)[-1].startswith(".")  # a file being written
        and not _older_day(f, since)
    )
    events: list[dict[str, Any]] = []
    for name in files:
        compression = "gzip" if name.endswith(".gz") else None
        with fs.open(name, "rt", compression=compression) as fh:
            for number, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("%s:%d: not JSON; skipped", name, number)
                    continue
                if since is not None:
                    at = event_time(record)
                    if at is not None and at < since:
                        continue
                events.append(record)
    return events


def _older_day(name: str, since: datetime | None) -> bool:
    """True for a file in a YYYY-MM-DD folder wholly before ``since``."""
    if since is None:
        return False
    folder = name.replace("\\", "/").rsplit("/", 2)[-2]
    try:
        day = datetime.strptime(folder, "%Y-%m-%d").date()
    except ValueError:
        return False
    return day < since.date()


def event_time(record: dict[str, Any]) -> datetime | None:
    for key in ("timestamp", "ts", "time", "created_at", "at"):
        value = record.get(key)
        if value is None:
            continue
        try:
            if isinstance(value, (int, float)):
                return datetime.fromtimestamp(float(value), tz=timezone.utc)
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        except (ValueError, OSError):
            return None
    return None


def event_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The input rows of one prediction_event (one row or a batch)."""
    for key in ("inputs", "features", "input", "instances", "data"):
        value = record.get(key)
        if isinstance(value, dict):
            if value and all(isinstance(v, list) for v in value.values()):
                return [
                    dict(zip(value, row, strict=True))
                    for row in zip(*value.values(), strict=False)
                ]
            return [value]
        if isinstance(value, list):
            return [row for row in value if isinstance(row, dict)]
    return []


def serving_inputs(ctx: Context, model: str, window: str) -> pd.DataFrame:
    """The rows the served model saw during the last ``window``."""
    import pandas as pd

    since = datetime.now(timezone.utc) - parse_window(window)
    rows = [
        row for event in read_events(ctx, model, since) for row in event_rows(event)
    ]
    if not rows:
        raise NotFound(
            f"no prediction events for '{model}' in the last {window} under "
            f"{serving_log_dir(ctx, model)}",
            hint=(
                "serve the model with prediction logging on (`zebra serve MODEL "
                "--sample-rate 1`), widen --window, or pass --current FILE"
            ),
        )
    return pd.DataFrame.from_records(rows)
