"""The ``sql`` connector against the real PostgreSQL on 127.0.0.1:5432."""

from __future__ import annotations

import json
import os

import pytest

from zebraops_core.datasets import ingest
from zebraops_core.datasets.flow import run_ingest
from zebraops_core.errors import ConfigError, DataError

from ..datasets.conftest import COLUMNS, validate_manifest_json

PASSWORD = "s3cret-pw"


def _fill(url: str, n: int, start: int = 0) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS people (id text primary key, name text, "
            "age integer, score numeric(6,2), joined date, active boolean, "
            "plan text, label text)"
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO people VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        f"c{i:05d}",
                        f"name {i}",
                        20 + i % 50,
                        None if i % 10 == 3 else (i * 7) % 100 / 4,
                        f"2024-01-{1 + i % 28:02d}",
                        i % 3 != 0,
                        ["basic", "pro", "team"][i % 3],
                        "Yes" if i % 4 == 0 else "No",
                    )
                    for i in range(start, start + n)
                ],
            )


@pytest.fixture
def sql_url(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    _fill(pg_database, 120)
    with_password = pg_database.replace("postgres@", f"postgres:{PASSWORD}@")
    monkeypatch.setenv("ZEBRA_SQL_URL", with_password)
    return with_password


def _define(project, **overrides):
    overrides.setdefault("query", "SELECT * FROM people ORDER BY id")
    return project.define(connector="sql", path=None, format=None, **overrides)


def test_sql_source(data_project, sql_url: str, zebra) -> None:
    _define(data_project)
    ctx = data_project.ctx()
    first = run_ingest(ctx, "people")
    manifest = first.manifest
    assert first.created
    assert sum(s.rows for s in manifest.splits.values()) == 120
    assert manifest.source.uri.startswith("sql:$ZEBRA_SQL_URL?query=SELECT * FROM")
    assert manifest.source.connector == "sql"
    assert manifest.source.content_hash.startswith("sha256-arrow:")
    assert manifest.source.fingerprint is None
    assert manifest.coercions == {}  # NULLs from SQL are missing, not blanks
    assert manifest.schema["arrow_types"]["joined"] == "timestamp[us]"
    missing = sum(manifest.stats[s]["score"]["missing"] for s in manifest.splits)
    assert missing == 12
    path = data_project.root / "cached_data" / "manifests" / f"{manifest.id}.json"
    validate_manifest_json(path)

    # The URL (and its password) is written nowhere.
    db_name = sql_url.rsplit("/", 1)[1]
    for file in [path, data_project.root / ".zebraops" / "state.db"]:
        blob = file.read_bytes()
        assert PASSWORD.encode() not in blob and db_name.encode() not in blob

    # No fingerprint: the query runs again, the unchanged result keeps its id.
    again = run_ingest(ctx, "people")
    assert again.manifest.id == manifest.id and not again.created
    assert "read_write_s" in again.timings

    # New rows: a new manifest; old rows keep their split.
    _fill(sql_url.replace(f":{PASSWORD}", ""), 30, start=1000)
    changed = run_ingest(ctx, "people")
    assert changed.created and changed.manifest.id != manifest.id
    assert sum(s.rows for s in changed.manifest.splits.values()) == 150

    # --source: another query of the same shape, recorded.
    out = json.loads(
        zebra(
            "ingest",
            "people",
            "--source",
            "SELECT * FROM people WHERE age < 40",
            "--json",
        ).stdout
    )
    assert "WHERE age < 40" in out["source"] and out["created"]


def test_sql_fingerprint_query(data_project, sql_url: str) -> None:
    _define(
        data_project,
        options={"fingerprint_query": "SELECT count(*), max(id) FROM people"},
    )
    ctx = data_project.ctx()
    first = run_ingest(ctx, "people")
    assert first.manifest.source.fingerprint.startswith("query=")
    again = run_ingest(ctx, "people")
    assert not again.created and "read_write_s" not in again.timings
    _fill(sql_url.replace(f":{PASSWORD}", ""), 5, start=2000)
    changed = run_ingest(ctx, "people")
    assert changed.created


def test_sql_url_from_dotenv_and_errors(
    data_project, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(pg_database, 20)
    var = f"PEOPLE_DB_{os.urandom(3).hex().upper()}"
    monkeypatch.delenv("ZEBRA_SQL_URL", raising=False)
    _define(data_project, options={"url_env": var})
    with pytest.raises(ConfigError, match=rf"\${var}") as info:
        ingest(data_project.ctx(), "people")
    assert ".env" in info.value.hint

    (data_project.root / ".env").write_text(f"{var}={pg_database}\n")
    try:
        manifest, created = ingest(data_project.ctx(), "people")
        assert created and sum(s.rows for s in manifest.splits.values()) == 20
        assert manifest.source.uri.startswith(f"sql:${var}?")

        _define(data_project, options={"url_env": var}, query="SELECT * FROM nowhere")
        with pytest.raises(DataError, match="query failed: .*nowhere"):
            ingest(data_project.ctx(), "people")
        assert len(data_project.manifest_files()) == 1
    finally:
        os.environ.pop(var, None)


def test_sql_schema_mismatch(data_project, sql_url: str) -> None:
    columns = [dict(c) for c in COLUMNS]
    columns[2]["dtype"] = "bool"  # age is an integer column
    _define(
        data_project,
        query="SELECT id, name, age * 10 AS age, score, joined, "
        "active, plan, label FROM people ORDER BY id",
        schema={
            "key": "id",
            "columns": columns,
            "target": {"column": "label", "mapping": {"Yes": 1, "No": 0}},
        },
    )
    with pytest.raises(
        DataError, match="column 'age' is declared bool but row 1 holds 200"
    ):
        ingest(data_project.ctx(), "people")
    assert data_project.manifest_files() == []
