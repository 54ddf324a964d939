"""The shared fixtures start real servers that answer."""

import urllib.request

import pytest


@pytest.mark.slow
def test_moto_s3_round_trip(moto_s3):
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_s3)
    s3.create_bucket(Bucket="probe")
    s3.put_object(Bucket="probe", Key="k", Body=b"zebra")
    assert s3.get_object(Bucket="probe", Key="k")["Body"].read() == b"zebra"


def test_postgres_database_is_fresh(pg_database):
    import psycopg

    with psycopg.connect(pg_database) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema='public'"
        ).fetchone()[0]
    assert tables == 0


def test_telco_file_has_expected_shape(telco_csv):
    lines = telco_csv.read_text().splitlines()
    assert len(lines) == 7044
    assert lines[0].split(",")[-1] == "Churn"


@pytest.mark.slow
def test_mlflow_server_health(mlflow_server):
    with urllib.request.urlopen(f"{mlflow_server}/health") as resp:
        assert resp.status == 200


@pytest.mark.slow
def test_prefect_server_health(prefect_server):
    with urllib.request.urlopen(f"{prefect_server}/health") as resp:
        assert resp.status == 200
