"""The ingest flow under a real Prefect server: same result as embedded."""

from __future__ import annotations

import json

import pytest

from zebraops_core.datasets.flow import run_ingest


@pytest.mark.slow
def test_ingest_flow_on_prefect(data_project, people_csv, prefect_server) -> None:
    people_csv(80)
    data_project.define()
    embedded = run_ingest(data_project.ctx(), "people")
    (data_project.root / "profiles").mkdir()
    (data_project.root / "profiles" / "pf.yaml").write_text(
        json.dumps({"prefect_api_url": prefect_server})
    )
    ctx = data_project.ctx("pf")
    assert not ctx.settings.embedded
    verified = run_ingest(ctx, "people", verify=True)
    assert verified.manifest.id == embedded.manifest.id and not verified.created

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_server}),
        get_client(sync_client=True) as client,
    ):
        runs = [r for r in client.read_flow_runs() if r.state.is_completed()]
        names = {client.read_flow(r.flow_id).name for r in runs}
        tasks = {t.name.rsplit("-", 1)[0] for t in client.read_task_runs()}
    assert "ingest" in names
    assert {"describe-source", "materialize", "stats", "publish"} <= tasks
