"""Promotion: gates, the append-only ledger, alias moves and rollbacks.

``promote(ctx, model, run_id, target)`` runs :data:`promote_flow`;
``rollback(ctx, model, to_run=... | previous=True)`` and ``history(ctx,
model)`` complete it. Every alias move of a model happens under one lock in
the state store, together with its ledger entry.
"""

from __future__ import annotations

from .flow import (
    TARGETS,
    PromotionOutcome,
    history,
    promote,
    promote_flow,
    rollback,
    rollback_flow,
)
from .ledger import current_actor, entry_dict, lock_name

__all__ = [
    "TARGETS",
    "PromotionOutcome",
    "current_actor",
    "entry_dict",
    "history",
    "lock_name",
    "promote",
    "promote_flow",
    "rollback",
    "rollback_flow",
]
