"""The ``sql`` connector: a query through SQLAlchemy.

The connection URL comes from the environment variable named by
``options.url_env`` (default ``ZEBRA_SQL_URL``), which the project's ``.env``
may set. It is never written anywhere: the manifest records the source as
``sql:$ZEBRA_SQL_URL?query=...``.

Fingerprint: a database has no cheap, reliable "unchanged" signal, so by
default there is none and every ingest runs the query (an unchanged result
still gets the same manifest id). Set ``options.fingerprint_query`` (e.g.
``SELECT count(*), max(updated_at) FROM customers``) to let an unchanged
answer skip the read; its result is hashed with the query text and the
password-free URL.

Content hash: SHA-256 of the result's record batches in Arrow IPC form.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from zebraops_core.errors import ConfigError, DataError
from zebraops_core.interfaces import Connector, SourceInfo

if TYPE_CHECKING:
    import pyarrow as pa

    from zebraops_core.specs import DatasetDefinition

log = logging.getLogger(__name__)

DEFAULT_URL_ENV = "ZEBRA_SQL_URL"
FETCH_ROWS = 50_000


class SqlConnector(Connector):
    type_name: ClassVar[str] = "sql"
    content_hash_kind: ClassVar[str] = "sha256-arrow"

    def __init__(self) -> None:
        self._hasher: Any | None = None
        self.bytes_read = 0

    def content_hasher(self) -> Any | None:
        return self._hasher

    def _url(self, definition: DatasetDefinition) -> tuple[str, str]:
        env = str(definition.options.get("url_env") or DEFAULT_URL_ENV)
        url = os.environ.get(env)
        if not url:
            raise ConfigError(
                f"dataset '{definition.id}' needs a database URL in ${env}",
                hint=f"export {env}=postgresql://USER:PASSWORD@HOST/DB, or put it "
                "in the project's .env (never in the dataset definition)",
            )
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return env, url

    def _engine(self, url: str) -> Any:
        import sqlalchemy as sa

        try:
            return sa.create_engine(url)
        except Exception as exc:
            raise ConfigError(f"invalid database URL: {type(exc).__name__}") from None

    def describe(self, definition: DatasetDefinition, uri: str) -> SourceInfo:
        query = uri.strip()
        if not query:
            raise ConfigError(
                f"dataset '{definition.id}' has no query",
                hint="set `query` in the definition or pass --source",
            )
        env, url = self._url(definition)
        source_uri = f"sql:${env}?query=" + quote(query, safe=" *,=()'<>:")
        check = definition.options.get("fingerprint_query")
        fingerprint = None
        if check:
            import sqlalchemy as sa

            engine = self._engine(url)
            try:
                with engine.connect() as conn:
                    answer = [list(r) for r in conn.execute(sa.text(check))]
            except sa.exc.SQLAlchemyError as exc:
                raise DataError(f"fingerprint query failed: {_reason(exc)}") from None
            finally:
                engine.dispose()
            safe = sa.engine.make_url(url).render_as_string(hide_password=True)
            blob = json.dumps([safe, query, check, answer], default=str)
            fingerprint = "query=" + hashlib.sha256(blob.encode()).hexdigest()[:32]
        return SourceInfo(uri=source_uri, fingerprint=fingerprint)

    def read(self, definition: DatasetDefinition, uri: str) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        import sqlalchemy as sa

        _, url = self._url(definition)
        engine = self._engine(url)
        self._hasher = hashlib.sha256()
        try:
            with engine.connect() as conn:
                result = conn.execution_options(stream_results=True).execute(
                    sa.text(uri)
                )
                names = list(result.keys())
                while True:
                    rows = result.fetchmany(FETCH_ROWS)
                    if not rows:
                        break
                    columns = list(zip(*rows, strict=True))
                    batch = pa.RecordBatch.from_arrays(
                        [_array(list(c)) for c in columns], names=names
                    )
                    payload = batch.serialize()
                    self._hasher.update(payload)
                    self.bytes_read += payload.size
                    yield batch
        except sa.exc.SQLAlchemyError as exc:
            raise DataError(
                f"query failed: {_reason(exc)}", hint="check the query and the database"
            ) from None
        finally:
            engine.dispose()


def _array(values: list[Any]) -> Any:
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _reason(exc: Exception) -> str:
    """The driver's message, without the SQLAlchemy boilerplate."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
