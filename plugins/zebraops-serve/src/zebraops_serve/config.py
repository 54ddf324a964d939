"""What one ``zebra serve`` process serves and how: a plain, JSON-able record.

The record travels to uvicorn workers through ``ZEBRA_SERVE_CONFIG`` when
``--workers`` is above one, so every field is a JSON scalar or list.
"""

from __future__ import annotations

import json
import os
from typing import Any

import attrs

#: Environment variable carrying the config to worker processes.
CONFIG_ENV = "ZEBRA_SERVE_CONFIG"
#: Bearer token protecting /predict when set.
TOKEN_ENV = "ZEBRA_SERVE_TOKEN"
#: Salt for hashing identifier columns in prediction logs.
SALT_ENV = "ZEBRA_SERVE_HASH_SALT"


@attrs.frozen
class ServeConfig:
    model: str
    alias: str = "prod"
    project_dir: str | None = None
    profile: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    #: Seconds between checks of where the alias points (0 disables).
    poll_interval: float = 10.0
    #: Adaptive batching: rows per model call and the longest wait for more.
    batching: bool = True
    max_batch_rows: int = 4096
    max_wait_ms: float = 10.0
    #: Reject extra columns with 422 instead of dropping them.
    strict: bool = False
    max_body_bytes: int = 16 * 1024 * 1024
    #: Prediction logging: share of rows written (0 disables).
    sample_rate: float = 0.0
    #: Root URI of the logs (default <object_store>/serving_logs).
    log_sink: str | None = None
    log_columns: tuple[str, ...] = ()
    log_exclude_columns: tuple[str, ...] = ()
    hash_columns: tuple[str, ...] = ()
    log_flush_rows: int = 1000
    log_flush_seconds: float = 5.0

    def to_env(self) -> str:
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_env(cls) -> ServeConfig:
        raw: dict[str, Any] = json.loads(os.environ[CONFIG_ENV])
        for key in ("log_columns", "log_exclude_columns", "hash_columns"):
            raw[key] = tuple(raw.get(key) or ())
        return cls(**raw)
