"""The state store's tables. Change them only through a new migration."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Models discovered in the project, with the hash of their spec.
models = sa.Table(
    "models",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("spec_hash", sa.String(64), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)

# One row per manifest ever written; the JSON file is the source of truth.
manifests = sa.Table(
    "manifests",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("dataset_id", sa.String(200), nullable=False, index=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("source_uri", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
)

# Cheap source identities (size+mtime, ETag...) already ingested.
source_fingerprints = sa.Table(
    "source_fingerprints",
    metadata,
    sa.Column("dataset_id", sa.String(200), primary_key=True),
    sa.Column("source_uri", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.String(200), primary_key=True),
    sa.Column("definition_hash", sa.String(64), primary_key=True),
    sa.Column("manifest_id", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.String(40), nullable=False),
)

# The promotion ledger: append-only.
promotions = sa.Table(
    "promotions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("model", sa.String(200), nullable=False, index=True),
    sa.Column("alias", sa.String(100), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("from_version", sa.String(40)),
    sa.Column("to_version", sa.String(40), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("verdicts", sa.JSON, nullable=False),
    sa.Column("forced", sa.Boolean, nullable=False, default=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
)

# Named locks (promotions of one model are serialized through these).
locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("acquired_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# Known serving endpoints and what they serve.
endpoints = sa.Table(
    "endpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False, index=True),
    sa.Column("alias", sa.String(100), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("stopped_at", sa.String(40)),
    sa.Column("data", sa.JSON, nullable=False),
)

# Monitoring results and their acknowledgements.
monitor_results = sa.Table(
    "monitor_results",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("model", sa.String(200), nullable=False, index=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("model_version", sa.String(40)),
    sa.Column("drift_share", sa.Float, nullable=False),
    sa.Column("dataset_drift", sa.Boolean, nullable=False),
    sa.Column("recommendation", sa.Boolean, nullable=False),
    sa.Column("rows_current", sa.Integer, nullable=False),
    sa.Column("report_uri", sa.Text),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("acked_at", sa.String(40)),
    sa.Column("acked_by", sa.String(200)),
)

# Performance over time windows, from joined label and prediction events.
performance = sa.Table(
    "performance",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False, index=True),
    sa.Column("model_version", sa.String(40)),
    sa.Column("window_start", sa.String(40), nullable=False),
    sa.Column("window_end", sa.String(40), nullable=False),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)
