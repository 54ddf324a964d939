"""Initial state store: models, manifests, ledger, locks, endpoints, monitoring.

Revision ID: 0001
Revises:

The tables are spelled out here, not taken from ``tables.metadata``: a
migration must create the schema of its own time, whatever ``tables.py``
says later. ``tests/core/test_state.py`` checks that the migrated schema
matches ``tables.py``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_ORDER = (
    "models",
    "manifests",
    "source_fingerprints",
    "promotions",
    "locks",
    "endpoints",
    "monitor_results",
    "performance",
)


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("spec_hash", sa.String(64), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "manifests",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("dataset_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("source_uri", sa.Text, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
    )
    op.create_index("ix_manifests_dataset_id", "manifests", ["dataset_id"])
    op.create_table(
        "source_fingerprints",
        sa.Column("dataset_id", sa.String(200), primary_key=True),
        sa.Column("source_uri", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.String(200), primary_key=True),
        sa.Column("definition_hash", sa.String(64), primary_key=True),
        sa.Column("manifest_id", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_version", sa.String(40), nullable=True),
        sa.Column("to_version", sa.String(40), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("verdicts", sa.JSON, nullable=False),
        sa.Column("forced", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_promotions_model", "promotions", ["model"])
    op.create_table(
        "locks",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("acquired_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_table(
        "endpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("stopped_at", sa.String(40), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_endpoints_model", "endpoints", ["model"])
    op.create_table(
        "monitor_results",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=True),
        sa.Column("drift_share", sa.Float, nullable=False),
        sa.Column("dataset_drift", sa.Boolean, nullable=False),
        sa.Column("recommendation", sa.Boolean, nullable=False),
        sa.Column("rows_current", sa.Integer, nullable=False),
        sa.Column("report_uri", sa.Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("acked_at", sa.String(40), nullable=True),
        sa.Column("acked_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_monitor_results_model", "monitor_results", ["model"])
    op.create_table(
        "performance",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=True),
        sa.Column("window_start", sa.String(40), nullable=False),
        sa.Column("window_end", sa.String(40), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_performance_model", "performance", ["model"])


def downgrade() -> None:
    for name in reversed(_ORDER):
        op.drop_table(name)
