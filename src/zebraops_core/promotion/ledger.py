"""The promotion ledger: one row per alias move, append-only.

Rows live in the state store's ``promotions`` table and are mirrored as a
``zebra.promoted.<alias>`` tag (the latest entry, compact JSON) on the model
version that received the alias. There is deliberately no function to
change or delete an entry.

An entry is written and the alias moved in one step, :func:`move_alias`,
which the caller runs while holding the model's promotion lock: the ledger's
order is the order in which the alias moved.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .. import tracking
from ..errors import StateError
from ..interfaces import PromotionEntry
from ..state import tables, utcnow

if TYPE_CHECKING:
    from ..state import StateStore

log = logging.getLogger(__name__)

ACTOR_ENV = "ZEBRA_ACTOR"


def lock_name(model_name: str) -> str:
    """The state-store lock serializing every alias move of one model."""
    return f"promote:{model_name}"


def current_actor() -> str:
    """``$ZEBRA_ACTOR``, else ``$USER``, else the login name."""
    actor = os.environ.get(ACTOR_ENV) or os.environ.get("USER")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def _entry(row: Mapping[str, Any]) -> PromotionEntry:
    return PromotionEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        model=row["model"],
        alias=row["alias"],
        action=row["action"],
        from_version=row["from_version"],
        to_version=row["to_version"],
        run_id=row["run_id"],
        verdicts=tuple(row["verdicts"] or ()),
        forced=bool(row["forced"]),
        reason=row["reason"] or "",
    )


def history(
    store: StateStore, model_name: str, alias: str | None = None
) -> list[PromotionEntry]:
    """Every entry of a model (or of one alias), oldest first."""
    query = sa.select(tables.promotions).where(tables.promotions.c.model == model_name)
    if alias is not None:
        query = query.where(tables.promotions.c.alias == alias)
    with store.begin() as conn:
        rows = conn.execute(query.order_by(tables.promotions.c.id)).mappings().all()
    return [_entry(r) for r in rows]


def latest(store: StateStore, model_name: str, alias: str) -> PromotionEntry | None:
    query = (
        sa.select(tables.promotions)
        .where(
            tables.promotions.c.model == model_name,
            tables.promotions.c.alias == alias,
        )
        .order_by(tables.promotions.c.id.desc())
        .limit(1)
    )
    with store.begin() as conn:
        row = conn.execute(query).mappings().first()
    return _entry(row) if row else None


def alias_version(client: Any, model_name: str, alias: str) -> str | None:
    """The version holding ``alias``, or None when the alias is unset."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(model_name, alias).version)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
            return None
        if "not found" in str(exc).lower() or "does not exist" in str(exc).lower():
            return None
        raise


def _restore(client: Any, model_name: str, alias: str, version: str | None) -> None:
    try:
        if version is None:
            client.delete_registered_model_alias(model_name, alias)
        else:
            client.set_registered_model_alias(model_name, alias, version)
    except Exception:
        log.error(
            "could not restore alias %s of %s to %s",
            alias,
            model_name,
            version,
            exc_info=True,
        )


def move_alias(
    store: StateStore,
    client: Any,
    *,
    model_name: str,
    alias: str,
    action: str,
    from_version: str | None,
    to_version: str,
    run_id: str | None,
    verdicts: Sequence[Mapping[str, Any]] = (),
    forced: bool = False,
    reason: str = "",
    actor: str | None = None,
) -> PromotionEntry:
    """Insert the ledger row and point the alias, all or nothing.

    The row is inserted in an open transaction, the alias set, then the
    transaction committed; if the alias cannot be set the row is rolled
    back, and if the commit fails the alias is put back.
    Hold :func:`lock_name`'s lock around this call.
    """
    values = {
        "at": utcnow(),
        "actor": actor or current_actor(),
        "model": model_name,
        "alias": alias,
        "action": action,
        "from_version": from_version,
        "to_version": str(to_version),
        "run_id": run_id,
        "verdicts": [dict(v) for v in verdicts],
        "forced": bool(forced),
        "reason": reason or "",
    }
    with store.engine.connect() as conn:
        tx = conn.begin()
        try:
            result = conn.execute(tables.promotions.insert().values(**values))
            entry_id = result.inserted_primary_key[0]
            client.set_registered_model_alias(model_name, alias, str(to_version))
        except BaseException:
            tx.rollback()
            raise
        try:
            tx.commit()
        except Exception as exc:
            _restore(client, model_name, alias, from_version)
            raise StateError(
                f"the promotion ledger could not be written ({exc}); "
                f"alias '{alias}' was put back to {from_version}"
            ) from None
    entry = _entry({"id": entry_id, **values})
    _mirror(client, entry)
    return entry


def _mirror(client: Any, entry: PromotionEntry) -> None:
    """The entry, compact, as a tag on the version that got the alias."""
    compact = {
        "id": entry.id,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "from_version": entry.from_version,
        "to_version": entry.to_version,
        "run_id": entry.run_id,
        "forced": entry.forced,
        "reason": entry.reason[:1000],
        "verdicts": [
            {"gate": v.get("gate"), "passed": v.get("passed")} for v in entry.verdicts
        ],
    }
    try:
        client.set_model_version_tag(
            entry.model,
            entry.to_version,
            tracking.TAG_PROMOTED_PREFIX + entry.alias,
            json.dumps(compact, sort_keys=True),
        )
    except Exception:  # the state store is the ledger; the tag is a mirror
        log.warning(
            "could not mirror ledger entry %s to %s v%s",
            entry.id,
            entry.model,
            entry.to_version,
            exc_info=True,
        )


def entry_dict(entry: PromotionEntry) -> dict[str, Any]:
    import attrs

    out = attrs.asdict(entry)
    out["verdicts"] = [dict(v) for v in entry.verdicts]
    return out
