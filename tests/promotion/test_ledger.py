"""The ledger: all-or-nothing with the alias move, and append-only."""

from __future__ import annotations

import pytest

from tests.promotion.trainkit import MODEL

pytestmark = pytest.mark.slow


def test_ledger_row_is_rolled_back_when_the_alias_cannot_move(sqlite_only):
    from zebraops_core import tracking
    from zebraops_core.context import Context
    from zebraops_core.promotion import ledger

    ctx = Context(project_dir=sqlite_only.root)
    client = tracking.client(ctx.settings)
    with pytest.raises(Exception, match="999"):
        ledger.move_alias(
            ctx.store,
            client,
            model_name=MODEL,
            alias="prod",
            action="promote",
            from_version=None,
            to_version="999",
            run_id=None,
        )
    assert ledger.history(ctx.store, MODEL) == []
    assert ledger.alias_version(client, MODEL, "prod") is None

    entry = ledger.move_alias(
        ctx.store,
        client,
        model_name=MODEL,
        alias="prod",
        action="promote",
        from_version=None,
        to_version=sqlite_only.version("good"),
        run_id=sqlite_only.run("good"),
        reason="direct",
    )
    assert ledger.history(ctx.store, MODEL) == [entry]
    assert entry.actor == "pytest"  # ZEBRA_ACTOR wins over USER


def test_ledger_module_offers_no_way_to_change_history():
    from zebraops_core.promotion import ledger

    names = [n for n in dir(ledger) if not n.startswith("_")]
    assert not [
        n
        for n in names
        if n.startswith(("update", "delete", "remove", "edit", "clear"))
    ]
