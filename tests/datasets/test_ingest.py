"""Ingesting local files: the real Telco file, idempotence, new drops,
hash-split stability, formats and CSV dialects."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zebraops_core.datasets import (
    ingest,
    latest_manifest,
    load_manifest_by_id,
    read_split,
)
from zebraops_core.datasets.flow import run_ingest
from zebraops_core.datasets.hashing import file_sha256
from zebraops_core.specs import load_manifest

from .conftest import COLUMNS, rows, validate_manifest_json, write_csv

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tabular-churn"


def _split_keys(manifest, column: str = "id") -> dict[str, str]:
    out = {}
    for name, split in manifest.splits.items():
        for key in pq.read_table(split.uri, columns=[column]).column(0).to_pylist():
            out[key] = name
    return out


def test_real_telco_file(churn_project: Path, telco_csv: Path) -> None:
    from zebraops_core.context import Context

    ctx = Context(project_dir=churn_project)
    outcome = run_ingest(ctx, "telco_churn", source=str(telco_csv))
    manifest = outcome.manifest
    assert outcome.created
    assert sum(s.rows for s in manifest.splits.values()) == 7043
    assert set(manifest.splits) == {"train", "valid", "test"}
    assert manifest.coercions == {"TotalCharges": 11}
    assert manifest.source.uri == str(telco_csv.resolve())
    assert manifest.source.content_hash == (
        "sha256:16320c9c1ec72448db59aa0a26a0b95401046bef5d02fd3aeb906448e3055e91"
    )
    churn = pa.concat_arrays(
        [
            pq.read_table(s.uri, columns=["Churn"]).column(0).combine_chunks()
            for s in manifest.splits.values()
        ]
    )
    assert churn.type == pa.int64()
    assert churn.value_counts().to_pylist() in (
        [{"values": 0, "counts": 5174}, {"values": 1, "counts": 1869}],
        [{"values": 1, "counts": 1869}, {"values": 0, "counts": 5174}],
    )
    missing = sum(manifest.stats[s]["TotalCharges"]["missing"] for s in manifest.splits)
    assert missing == 11
    assert manifest.stats["train"]["Contract"]["distinct"] == 3
    assert manifest.schema["arrow_types"]["Churn"] == "int64"

    # The manifest file is complete, valid and found by id.
    path = churn_project / "cached_data" / "manifests" / f"{manifest.id}.json"
    validate_manifest_json(path)
    assert load_manifest(path) == manifest
    assert load_manifest_by_id(ctx, manifest.id) == manifest
    assert latest_manifest(ctx, "telco_churn").id == manifest.id
    df = read_split(ctx, manifest, "valid")
    assert len(df) == manifest.splits["valid"].rows

    # Unchanged: the same id, without reading the source again.
    again = run_ingest(ctx, "telco_churn", source=str(telco_csv))
    assert again.manifest.id == manifest.id
    assert not again.created
    assert "read_write_s" not in again.timings
    # --verify reads and hashes, and still finds the same content.
    verified = run_ingest(ctx, "telco_churn", source=str(telco_csv), verify=True)
    assert verified.manifest.id == manifest.id and not verified.created
    assert "read_write_s" in verified.timings


def test_generated_example_through_cli(churn_project: Path, zebra) -> None:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "generate_data.py", "--rows", "3000", "--seed", "3"],
        cwd=churn_project,
        check=True,
    )
    first = json.loads(zebra("ingest", "telco_churn", "--json").stdout)
    assert first["created"] is True
    assert sum(first["rows"].values()) == 3000
    assert first["id"].startswith("telco_churn-") and len(first["id"]) == 24
    assert set(first["uris"]) == {"train", "valid", "test"}
    assert all(Path(u).is_file() for u in first["uris"].values())
    assert first["coercions"].get("TotalCharges", 0) > 0
    second = json.loads(zebra("ingest", "telco_churn", "--json").stdout)
    assert second["id"] == first["id"] and second["created"] is False

    listed = json.loads(zebra("list", "datasets", "--json").stdout)
    assert [d["id"] for d in listed] == [first["id"]]
    assert listed[0]["rows"] == 3000
    shown = json.loads(zebra("show", "dataset", "telco_churn", "--json").stdout)
    assert shown["id"] == first["id"]
    assert shown["stats"]["train"]["MonthlyCharges"]["quantiles"]["p50"] > 0
    text = zebra("show", "dataset", first["id"]).stdout
    assert "TotalCharges" in text and "train" in text
    table = zebra("list", "datasets").stdout
    assert first["id"] in table


def test_changed_source_new_id_and_stable_splits(data_project, people_csv) -> None:
    data_project.define()
    csv = people_csv(300)
    ctx = data_project.ctx()
    first, created = ingest(ctx, "people")
    assert created
    first_file = data_project.root / "cached_data" / "manifests" / f"{first.id}.json"
    first_bytes = first_file.read_bytes()
    before = _split_keys(first)

    # A new drop with more rows: a new id; old rows keep their split.
    write_csv(csv, rows(300) + rows(200, start=300))
    second, created = ingest(ctx, "people")
    assert created and second.id != first.id
    assert sum(s.rows for s in second.splits.values()) == 500
    after = _split_keys(second)
    assert all(after[key] == split for key, split in before.items())
    assert first_file.read_bytes() == first_bytes  # never overwritten
    assert latest_manifest(ctx, "people").id == second.id
    assert data_project.indexed() == [first.id, second.id]
    # Ratios are roughly respected.
    assert 0.5 < second.splits["train"].rows / 500 < 0.7

    # Touching the file without changing it: read again, same id.
    os.utime(csv, ns=(1, 1))
    third, created = ingest(ctx, "people")
    assert third.id == second.id and not created


def test_coercion_and_types(data_project, people_csv) -> None:
    data_project.define()
    people_csv(100)
    manifest, _ = ingest(data_project.ctx(), "people")
    assert manifest.coercions == {"score": 10}
    table = pa.concat_tables(pq.read_table(s.uri) for s in manifest.splits.values())
    types = {f.name: str(f.type) for f in table.schema}
    assert types == {
        "id": "string",
        "name": "string",
        "age": "int64",
        "score": "double",
        "joined": "timestamp[us]",
        "active": "bool",
        "plan": "string",
        "label": "int64",
    }
    assert table.column("score").null_count == 10
    assert set(table.column("label").to_pylist()) == {0, 1}
    assert table.column("active").to_pylist().count(False) == 34
    for split in manifest.splits.values():
        assert file_sha256(Path(split.uri)) == split.sha256
        assert Path(split.uri).stat().st_size == split.size_bytes


def test_source_flag_records_the_drop(data_project, people_csv, zebra) -> None:
    data_project.define()
    people_csv(50)
    drop = write_csv(data_project.root / "drops" / "june.csv", rows(80, start=1000))
    out = json.loads(
        zebra("ingest", "people", "--source", "drops/june.csv", "--json").stdout
    )
    assert out["source"] == str(drop.resolve())
    assert sum(out["rows"].values()) == 80
    manifest = load_manifest_by_id(data_project.ctx(), out["id"])
    assert manifest.source.uri == str(drop.resolve())
    # The definition's own path is untouched and ingests separately.
    own = json.loads(zebra("ingest", "people", "--json").stdout)
    assert sum(own["rows"].values()) == 50 and own["id"] != out["id"]


def test_explicit_and_no_splits(data_project) -> None:
    header = ["id", "x", "which"]
    data = [[f"r{i}", str(i), ["train", "test"][i % 2]] for i in range(40)]
    write_csv(data_project.root / "data" / "ex.csv", data, header=header)
    columns = [{"name": "id"}, {"name": "x", "dtype": "int"}, {"name": "which"}]
    data_project.define(
        "ex",
        path="data/ex.csv",
        schema={"columns": columns, "key": "id"},
        splits={
            "method": "explicit",
            "column": "which",
            "ratios": {"train": 0.5, "test": 0.5},
        },
    )
    manifest, _ = ingest(data_project.ctx(), "ex")
    assert {n: s.rows for n, s in manifest.splits.items()} == {"train": 20, "test": 20}
    test = pq.read_table(manifest.splits["test"].uri)
    assert set(test.column("which").to_pylist()) == {"test"}

    data_project.define(
        "whole",
        path="data/ex.csv",
        schema={"columns": columns},
        splits={"method": "none"},
    )
    whole, _ = ingest(data_project.ctx(), "whole")
    assert {n: s.rows for n, s in whole.splits.items()} == {"all": 40}


def test_csv_dialects_bom_sniffing_na_values(data_project) -> None:
    data = rows(30)
    data[4][2] = "?"  # a declared NA value in an int column
    write_csv(data_project.root / "data" / "semi.csv", data, delimiter=";", bom=True)
    data_project.define("semi", path="data/semi.csv", options={"na_values": ["?", ""]})
    manifest, _ = ingest(data_project.ctx(), "semi")
    assert sum(s.rows for s in manifest.splits.values()) == 30
    table = pa.concat_tables(pq.read_table(s.uri) for s in manifest.splits.values())
    assert table.schema.names[0] == "id"  # BOM stripped from the first name
    assert table.column("age").null_count == 1
    # Declared NA values are missing values, not coercions.
    assert "age" not in manifest.coercions

    # Declared latin-1 with accents, tab-separated.
    data = rows(20)
    data[2][1] = "Zoë Café"
    write_csv(
        data_project.root / "data" / "latin.tsv",
        data,
        delimiter="\t",
        encoding="latin-1",
    )
    data_project.define(
        "latin",
        path="data/latin.tsv",
        options={"encoding": "latin-1", "delimiter": "\t"},
    )
    latin, _ = ingest(data_project.ctx(), "latin")
    names = pa.concat_tables(pq.read_table(s.uri) for s in latin.splits.values())
    assert "Zoë Café" in names.column("name").to_pylist()


def test_parquet_and_jsonl_sources(data_project, people_csv) -> None:
    import pyarrow.csv as pacsv

    csv = people_csv(120)
    raw = pacsv.read_csv(
        csv,
        convert_options=pacsv.ConvertOptions(
            column_types={"score": pa.string(), "age": pa.int32()}
        ),
    )
    pq.write_table(raw, data_project.root / "data" / "people.parquet")
    with open(data_project.root / "data" / "people.jsonl", "w") as fh:
        for row in raw.to_pylist():
            fh.write(
                json.dumps(
                    {k: (str(v) if k == "joined" else v) for k, v in row.items()}
                )
                + "\n"
            )
    data_project.define("pq", path="data/people.parquet", format=None)
    data_project.define("js", path="data/people.jsonl", format=None)
    ctx = data_project.ctx()
    pq_manifest, _ = ingest(ctx, "pq")
    js_manifest, _ = ingest(ctx, "js")
    for manifest in (pq_manifest, js_manifest):
        assert sum(s.rows for s in manifest.splits.values()) == 120
        table = pq.read_table(manifest.splits["train"].uri)
        assert table.schema.field("age").type == pa.int64()
        assert table.schema.field("label").type == pa.int64()
    assert pq_manifest.coercions == {"score": 12}
    # Same rows, same key: the same split for every row whatever the format.
    assert _split_keys(pq_manifest) == _split_keys(js_manifest)


def test_after_ingest_hook(data_project, people_csv) -> None:
    from zebraops_core.hookspecs import hookimpl
    from zebraops_core.plugins import make_plugin_manager, set_plugin_manager

    calls = []

    class Observer:
        @hookimpl
        def after_ingest(self, dataset_id, manifest, created):
            calls.append((dataset_id, manifest.id, created))

    set_plugin_manager(make_plugin_manager(extra=(Observer(),)))
    data_project.define()
    people_csv(40)
    manifest, _ = ingest(data_project.ctx(), "people")
    ingest(data_project.ctx(), "people")
    assert calls == [("people", manifest.id, True), ("people", manifest.id, False)]


def test_missing_split_files_are_restored(data_project, people_csv) -> None:
    data_project.define()
    people_csv(60)
    manifest, _ = ingest(data_project.ctx(), "people")
    shutil.rmtree(Path(manifest.splits["train"].uri).parent)
    again, created = ingest(data_project.ctx(), "people")
    assert again == manifest and not created
    assert all(Path(s.uri).is_file() for s in again.splits.values())


def test_columns_declared_order_and_extra_dropped(data_project) -> None:
    header = ["extra", *reversed([c["name"] for c in COLUMNS])]
    data = [["x", *reversed(r)] for r in rows(20)]
    write_csv(data_project.root / "data" / "people.csv", data, header=header)
    data_project.define()
    manifest, _ = ingest(data_project.ctx(), "people")
    names = pq.read_table(manifest.splits["train"].uri).schema.names
    assert names == [c["name"] for c in COLUMNS]


@pytest.mark.parametrize("seed", [1, 2])
def test_seed_changes_assignment_and_id(data_project, people_csv, seed) -> None:
    people_csv(200)
    data_project.define()
    base, _ = ingest(data_project.ctx(), "people")
    data_project.define(splits={"seed": seed})
    other, created = ingest(data_project.ctx(), "people")
    assert created and other.id != base.id
    assert _split_keys(other) != _split_keys(base)


def test_duplicate_keys_are_reported(data_project, caplog) -> None:
    data = rows(30)
    data[5][0] = data[4][0]
    write_csv(data_project.root / "data" / "people.csv", data)
    data_project.define()
    with caplog.at_level("WARNING", logger="zebraops_core.datasets"):
        manifest, _ = ingest(data_project.ctx(), "people")
    assert sum(s.rows for s in manifest.splits.values()) == 30
    assert "key column 'id' has 1 duplicate value(s)" in caplog.text


def test_datetimes_with_offsets_become_utc(data_project) -> None:
    data = rows(12)
    data[0][4] = "2024-03-01T10:00:00Z"
    data[1][4] = "2024-03-01T10:00:00+02:00"
    write_csv(data_project.root / "data" / "people.csv", data)
    data_project.define()
    manifest, _ = ingest(data_project.ctx(), "people")
    table = pa.concat_tables(pq.read_table(s.uri) for s in manifest.splits.values())
    by_id = dict(
        zip(
            table.column("id").to_pylist(),
            table.column("joined").to_pylist(),
            strict=True,
        )
    )
    assert by_id["c00000"].hour == 10 and by_id["c00001"].hour == 8
    assert table.schema.field("joined").type == pa.timestamp("us")


def test_stats_of_long_text_columns() -> None:
    from zebraops_core.datasets.stats import column_stats

    n = 150_000
    ids = pa.chunked_array([pa.array([f"id{i}" for i in range(n)])])
    stats = column_stats(ids)
    assert stats["high_cardinality"] and "top" not in stats
    assert stats["count"] == n and stats["missing"] == 0
    plans = pa.chunked_array([pa.array(["a", "b", "b", None] * (n // 4))])
    stats = column_stats(plans)
    assert stats["distinct"] == 2 and stats["top"][0] == ["b", n // 2]
    assert stats["missing"] == n // 4
    numbers = pa.chunked_array([pa.array([float(i) for i in range(300_000)])])
    stats = column_stats(numbers)  # t-digest quantiles above 200k values
    assert abs(stats["quantiles"]["p50"] - 150_000) < 3_000
