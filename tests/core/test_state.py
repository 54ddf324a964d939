"""The state store: the same tests on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from zebraops_core.errors import StateError
from zebraops_core.state import HEAD_REVISION, StateStore, tables, utcnow


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / '.zebraops' / 'state.db'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def store(url: str):
    s = StateStore(url)
    yield s
    s.dispose()


def _revision(store: StateStore) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_opens_and_migrates_to_head(store: StateStore):
    assert _revision(store) == HEAD_REVISION
    names = set(sa.inspect(store.engine).get_table_names())
    assert set(tables.metadata.tables) <= names


def test_migrated_schema_equals_tables_py(store: StateStore):
    """Migration 0001 spells the tables out; it must match tables.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, tables.metadata)
    assert diff == []


def test_migration_is_idempotent(url: str, store: StateStore):
    with store.begin() as conn:
        conn.execute(
            tables.models.insert().values(
                name="churn",
                spec_hash="abc",
                path="models/churn/model.yaml",
                updated_at=utcnow(),
            )
        )
    store.migrate()
    again = StateStore(url)  # a second process opening the same database
    try:
        assert _revision(again) == HEAD_REVISION
        # Running alembic's upgrade again changes nothing either.
        from alembic import command
        from alembic.config import Config

        from zebraops_core.state import MIGRATIONS

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with again.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with again.begin() as conn:
            rows = conn.execute(sa.select(tables.models.c.name)).scalars().all()
        assert rows == ["churn"]
    finally:
        again.dispose()


def test_concurrent_first_opens_migrate_once(url: str):
    errors: list[BaseException] = []
    stores: list[StateStore] = []

    def open_it() -> None:
        try:
            stores.append(StateStore(url))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        assert all(_revision(s) == HEAD_REVISION for s in stores)
    finally:
        for s in stores:
            s.dispose()


def test_ledger_round_trip_with_json(store: StateStore):
    verdicts = [{"gate": "threshold", "passed": True, "numbers": {"auc": 0.81}}]
    with store.begin() as conn:
        conn.execute(
            tables.promotions.insert().values(
                at=utcnow(),
                actor="ci",
                model="churn",
                alias="prod",
                action="promote",
                from_version=None,
                to_version="3",
                run_id="r",
                verdicts=verdicts,
                forced=False,
                reason="",
            )
        )
        conn.execute(
            tables.promotions.insert().values(
                at=utcnow(),
                actor="ci",
                model="churn",
                alias="prod",
                action="rollback",
                from_version="3",
                to_version="2",
                run_id=None,
                verdicts=[],
                forced=True,
                reason="bad canary",
            )
        )
    with store.begin() as conn:
        rows = (
            conn.execute(sa.select(tables.promotions).order_by(tables.promotions.c.id))
            .mappings()
            .all()
        )
    assert [r["to_version"] for r in rows] == ["3", "2"]
    assert rows[0]["verdicts"] == verdicts
    assert rows[1]["forced"] is True
    assert rows[1]["id"] > rows[0]["id"]


def test_monitor_results_and_acknowledgement(store: StateStore):
    with store.begin() as conn:
        conn.execute(
            tables.monitor_results.insert().values(
                id="m1",
                model="churn",
                created_at=utcnow(),
                model_version="3",
                drift_share=0.4,
                dataset_drift=True,
                recommendation=True,
                rows_current=500,
                report_uri=None,
                data={"columns": ["tenure"]},
            )
        )
        conn.execute(
            tables.monitor_results.update()
            .where(tables.monitor_results.c.id == "m1")
            .values(acked_at=utcnow(), acked_by="me")
        )
    with store.begin() as conn:
        row = conn.execute(sa.select(tables.monitor_results)).mappings().one()
    assert row["acked_by"] == "me"
    assert row["data"] == {"columns": ["tenure"]}


def test_lock_excludes_other_holders(store: StateStore):
    """Two threads contend for one lock: never both inside."""
    inside = 0
    overlaps = 0
    order: list[str] = []
    guard = threading.Lock()

    def worker(name: str) -> None:
        nonlocal inside, overlaps
        for _ in range(3):
            with store.lock("promote:churn", timeout=30):
                with guard:
                    inside += 1
                    overlaps += inside > 1
                    order.append(name)
                time.sleep(0.02)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert overlaps == 0
    assert sorted(order) == ["a"] * 3 + ["b"] * 3
    with store.begin() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(tables.locks)).scalar()
            == 0
        )


def test_lock_times_out_with_state_error(url: str, store: StateStore):
    other = StateStore(url)
    try:
        with store.lock("promote:churn"):
            with (
                pytest.raises(StateError, match="held by another process"),
                other.lock("promote:churn", timeout=0.2),
            ):
                pass  # pragma: no cover - never acquired
            # A different name is independent.
            with other.lock("promote:other", timeout=1):
                pass
    finally:
        other.dispose()


def test_expired_lock_is_taken_over(url: str, store: StateStore):
    other = StateStore(url)
    try:
        with store.lock("ingest:telco", ttl=0.05):
            time.sleep(0.1)
            with other.lock("ingest:telco", timeout=2):
                taken_over = True
        assert taken_over
    finally:
        other.dispose()


def test_bad_url_is_a_state_error_with_hint(tmp_path: Path):
    with pytest.raises(StateError) as info:
        StateStore("postgresql://postgres@127.0.0.1:1/nothing")
    assert "cannot open state store" in info.value.message
    assert "ZEBRA_STATE_URL" in info.value.hint


def test_sqlite_uses_wal(tmp_path: Path):
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        s.dispose()


def test_password_is_hidden_in_messages():
    s = StateStore.__new__(StateStore)
    s.url = "postgresql://zebra:s3cret@db:5432/zebraops"
    assert "s3cret" not in s.safe_url
    assert "***" in s.safe_url
