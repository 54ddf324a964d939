"""Initial state store: models, manifests, ledger, locks, endpoints, monitoring.

Revision ID: 0001
Revises:
"""

from alembic import op

from zebraops_core.state import tables

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
    bind = op.get_bind()
    for name in _ORDER:
        tables.metadata.tables[name].create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(_ORDER):
        tables.metadata.tables[name].drop(bind)
