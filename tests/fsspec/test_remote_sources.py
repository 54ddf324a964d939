"""The ``file`` connector on remote sources: an S3-protocol server (moto,
loopback) as source and object store, and an HTTP server run by the test."""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from zebraops_core.datasets import ingest, load_manifest_by_id, read_split
from zebraops_core.datasets.flow import run_ingest

from ..datasets.conftest import rows, validate_manifest_json, write_csv


@pytest.fixture
def s3(moto_s3: str):
    import s3fs

    fs = s3fs.S3FileSystem(endpoint_url=moto_s3, skip_instance_cache=True)
    name = f"zebra-{os.urandom(4).hex()}"
    fs.mkdir(f"{name}-src")
    fs.mkdir(f"{name}-store")
    return fs, name


def test_s3_source_and_object_store(data_project, moto_s3, s3, tmp_path) -> None:
    fs, name = s3
    local = write_csv(tmp_path / "people.csv", rows(150))
    fs.put_file(str(local), f"{name}-src/drops/people.csv")
    profiles = data_project.root / "profiles"
    profiles.mkdir()
    (profiles / "s3.yaml").write_text(
        json.dumps(
            {
                "object_store": f"s3://{name}-store/zebra",
                "storage_options": {"endpoint_url": moto_s3},
            }
        )
    )
    data_project.define(path=f"s3://{name}-src/drops/people.csv")
    ctx = data_project.ctx("s3")

    first = run_ingest(ctx, "people")
    manifest = first.manifest
    assert first.created
    assert manifest.source.fingerprint.startswith("etag=")
    assert manifest.source.content_hash.startswith("sha256:")
    for split in manifest.splits.values():
        assert split.uri.startswith(f"s3://{name}-store/zebra/parquet/{manifest.id}/")
        assert fs.exists(split.uri)
    copy = f"s3://{name}-store/zebra/parquet/{manifest.id}/manifest.json"
    assert json.loads(fs.cat_file(copy))["id"] == manifest.id
    local_manifest = (
        data_project.root / "cached_data" / "manifests" / f"{manifest.id}.json"
    )
    validate_manifest_json(local_manifest)
    # No local Parquet and no staging left behind.
    assert not list((data_project.root / "cached_data" / "parquet").glob("*"))
    df = read_split(ctx, manifest, "train")
    assert len(df) == manifest.splits["train"].rows

    # Unchanged object: the fingerprint (ETag) short-cuts the read.
    again = run_ingest(ctx, "people")
    assert again.manifest.id == manifest.id and not again.created
    assert "read_write_s" not in again.timings

    # Another machine: only the object store's copy of the manifest.
    local_manifest.unlink()
    assert load_manifest_by_id(ctx, manifest.id) == manifest

    # A changed object: a new manifest.
    write_csv(local, rows(160))
    fs.put_file(str(local), f"{name}-src/drops/people.csv")
    changed = run_ingest(ctx, "people")
    assert changed.created and changed.manifest.id != manifest.id
    assert sum(s.rows for s in changed.manifest.splits.values()) == 160


def test_s3_source_with_definition_storage_options(
    data_project, moto_s3, s3, tmp_path
) -> None:
    fs, name = s3
    local = write_csv(tmp_path / "people.csv", rows(40))
    fs.put_file(str(local), f"{name}-src/people.csv")
    data_project.define(
        path=f"s3://{name}-src/people.csv",
        options={"storage_options": {"endpoint_url": moto_s3}},
    )
    manifest, created = ingest(data_project.ctx(), "people")
    assert created and Path(manifest.splits["train"].uri).is_file()
    # The same bytes from a local file: the same content, the same id.
    data_project.define(
        path=str(local), options={"storage_options": {"endpoint_url": moto_s3}}
    )
    same, created = ingest(data_project.ctx(), "people")
    assert same.id == manifest.id and not created

    data_project.define(
        path=f"s3://{name}-src/missing.csv",
        options={"storage_options": {"endpoint_url": moto_s3}},
    )
    from zebraops_core.errors import DataError

    with pytest.raises(DataError, match="source not found"):
        ingest(data_project.ctx(), "people")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def test_http_source(data_project, http_dir, zebra) -> None:
    url, folder = http_dir
    served = write_csv(folder / "people.csv", rows(90))
    data_project.define(path=f"{url}/people.csv")
    first = json.loads(zebra("ingest", "people", "--json").stdout)
    assert first["created"] and sum(first["rows"].values()) == 90
    manifest = load_manifest_by_id(data_project.ctx(), first["id"])
    assert manifest.source.uri == f"{url}/people.csv"
    assert "last-modified=" in manifest.source.fingerprint

    second = run_ingest(data_project.ctx(), "people")
    assert second.manifest.id == first["id"] and not second.created
    assert "read_write_s" not in second.timings

    write_csv(served, rows(95))
    stat = served.stat()
    os.utime(served, (stat.st_atime, stat.st_mtime + 10))
    third = json.loads(zebra("ingest", "people", "--json").stdout)
    assert third["created"] and third["id"] != first["id"]
    assert sum(third["rows"].values()) == 95

    # A drop given on the command line, and a missing one.
    write_csv(folder / "july.csv", rows(30, start=500))
    drop = json.loads(
        zebra("ingest", "people", "--source", f"{url}/july.csv", "--json").stdout
    )
    assert drop["source"] == f"{url}/july.csv"
    result = zebra("ingest", "people", "--source", f"{url}/nope.csv", ok=False)
    assert result.exit_code == 1 and "source not found" in result.stderr
