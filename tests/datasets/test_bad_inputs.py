"""Bad inputs: each gives a clear error naming what is wrong, and nothing is
written (no manifest, no Parquet, no state row)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import HEADER, rows, write_csv


def _fails(zebra, project, *args: str) -> str:
    result = zebra("ingest", "people", *args, ok=False)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert project.manifest_files() == []
    assert project.parquet_entries() == []
    assert project.indexed() == []
    return result.stderr


def test_missing_file(data_project, zebra) -> None:
    data_project.define(path="data/nowhere.csv")
    err = _fails(zebra, data_project)
    assert "source not found" in err and "nowhere.csv" in err


def test_wrong_delimiter(data_project, people_csv, zebra) -> None:
    people_csv(30)
    data_project.define(options={"delimiter": ";"})
    err = _fails(zebra, data_project)
    assert "missing columns 'id'" in err
    assert "options.delimiter: ','" in err


def test_missing_target_column(data_project, zebra) -> None:
    header = [h for h in HEADER if h != "label"]
    data = [r[:-1] for r in rows(20)]
    write_csv(data_project.root / "data" / "people.csv", data, header=header)
    data_project.define()
    err = _fails(zebra, data_project)
    assert "missing target column 'label'" in err


@pytest.mark.parametrize(
    ("column", "index", "value", "dtype"),
    [
        ("age", 2, "abc", "int"),
        ("score", 3, "1.2.3", "float"),
        ("active", 5, "maybe", "bool"),
        ("age", 2, "4.5", "int"),
    ],
)
def test_wrong_dtype(data_project, zebra, column, index, value, dtype) -> None:
    data = rows(200)
    data[156][index] = value
    write_csv(data_project.root / "data" / "people.csv", data)
    data_project.define()
    err = _fails(zebra, data_project)
    assert f"column '{column}' is declared {dtype}" in err
    assert f"row 157 holds '{value}'" in err


def test_unmapped_label_and_not_nullable(data_project, zebra) -> None:
    data = rows(50)
    data[9][7] = "Maybe"
    write_csv(data_project.root / "data" / "people.csv", data)
    data_project.define()
    err = _fails(zebra, data_project)
    assert "'Maybe' in row 10" in err and "'Yes', 'No'" in err

    data = rows(50)
    data[20][0] = ""
    write_csv(data_project.root / "data" / "people.csv", data)
    err = _fails(zebra, data_project)
    assert "column 'id' is declared not nullable but row 21" in err


def test_empty_file_and_header_only(data_project, zebra) -> None:
    path = data_project.root / "data" / "people.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    data_project.define()
    err = _fails(zebra, data_project)
    assert "empty (0 bytes)" in err

    write_csv(path, [])
    err = _fails(zebra, data_project)
    assert "no data rows" in err


def _latin1_file(path: Path, n: int, bad_row: int) -> int:
    data = rows(n)
    data[bad_row][1] = "Zoë"
    write_csv(path, data, encoding="latin-1")
    return path.read_bytes().index(b"\xeb")


@pytest.mark.parametrize("n,bad_row", [(50, 30), (6000, 5500)])
def test_non_utf8_file(data_project, zebra, n, bad_row) -> None:
    # Small: the bad byte is in the sniffing sample. Large: far past it,
    # found by the parser then located by a scan.
    offset = _latin1_file(data_project.root / "data" / "people.csv", n, bad_row)
    if n > 1000:
        assert offset > 256 * 1024
    data_project.define()
    err = _fails(zebra, data_project)
    assert f"not valid UTF-8 at byte {offset}" in err
    assert "0xEB" in err
    assert "encoding: cp1252" in err


def test_ragged_row(data_project, zebra) -> None:
    data = rows(40)
    data[12].append("surplus")
    write_csv(data_project.root / "data" / "people.csv", data)
    data_project.define()
    err = _fails(zebra, data_project)
    assert "Expected 8 columns, got 9" in err
    assert "delimiter" in err


def test_unknown_dataset_and_manifest(data_project, zebra) -> None:
    result = zebra("ingest", "ghost", ok=False)
    assert result.exit_code == 1 and "no dataset definition 'ghost'" in result.stderr
    result = zebra("show", "dataset", "ghost-123456789abc", ok=False)
    assert result.exit_code == 1 and "no manifest" in result.stderr
