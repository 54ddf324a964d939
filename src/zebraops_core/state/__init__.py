"""The state store: SQLite under ``.zebraops/`` or any SQLAlchemy URL.

It holds references only (ids, URIs, hashes, verdicts), never a secret.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from ..errors import StateError
from . import tables

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration (``versions/NNNN_<area>.py``, revision ``NNNN``);
#: the store upgrades itself when behind.
HEAD_REVISION = max(
    p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
)
#: Key of the PostgreSQL advisory lock serializing migrations.
_MIGRATION_LOCK_KEY = 0x7A6562726100  # "zebra"


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class StateStore:
    """A connection pool on the state database, migrated on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        except Exception as exc:
            raise StateError(f"cannot use state store {self.safe_url}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden."""
        try:
            return sa.engine.make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "<invalid URL>"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Upgrade the schema to HEAD_REVISION when it is behind.

        The common case, a current schema, is one query and imports no
        alembic; alembic runs only when there is something to upgrade.
        """
        try:
            current = self._current_revision()
        except Exception as exc:
            raise StateError(
                f"cannot open state store {self.safe_url}: {exc}",
                hint="check ZEBRA_STATE_URL or the profile's state_url",
            ) from None
        if current == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                # Two processes migrating one PostgreSQL database: one waits.
                if self.dialect == "postgresql":
                    conn.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": _MIGRATION_LOCK_KEY},
                    )
                elif self.dialect == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except sa.exc.SQLAlchemyError as exc:
            raise StateError(
                f"cannot migrate state store {self.safe_url}: {exc}",
                hint="check that the database user may create tables",
            ) from None
        log.debug("state store %s migrated %s -> head", self.safe_url, current)

    def _current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar()

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def lock(
        self, name: str, *, timeout: float = 60.0, ttl: float = 300.0
    ) -> Iterator[None]:
        """Hold the named lock, waiting up to ``timeout`` seconds.

        A row in ``locks`` is the lock: inserting it is atomic on every
        backend. A holder that died leaves a row that expires after ``ttl``.
        """
        owner = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            now = time.time()
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        tables.locks.delete().where(
                            tables.locks.c.name == name,
                            tables.locks.c.expires_at < now,
                        )
                    )
                    conn.execute(
                        tables.locks.insert().values(
                            name=name,
                            owner=owner,
                            acquired_at=now,
                            expires_at=now + ttl,
                        )
                    )
                break
            except sa.exc.IntegrityError:
                if time.monotonic() > deadline:
                    raise StateError(
                        f"lock '{name}' is held by another process",
                        hint="wait for it to finish, or retry later",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
            except sa.exc.OperationalError as exc:  # SQLite busy past timeout
                if time.monotonic() > deadline:
                    raise StateError(f"cannot take lock '{name}': {exc}") from None
                time.sleep(delay)
        try:
            yield
        finally:
            with self.engine.begin() as conn:
                conn.execute(
                    tables.locks.delete().where(
                        tables.locks.c.name == name, tables.locks.c.owner == owner
                    )
                )

    def dispose(self) -> None:
        self.engine.dispose()


_stores: dict[str, StateStore] = {}


def open_store(url: str) -> StateStore:
    """A store per URL per process."""
    if url not in _stores:
        _stores[url] = StateStore(url)
    return _stores[url]
