"""Promotion through gates, forced promotions, refusals, rollback and the
ledger, on MLflow with SQLite and on a real ``mlflow server`` (PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import completed_flows
from tests.promotion.trainkit import MODEL

pytestmark = pytest.mark.slow


def _client(world):
    from zebraops_core import tracking
    from zebraops_core.context import Context

    return tracking.client(Context(project_dir=world.root).settings)


def _alias(world, alias: str) -> str | None:
    from zebraops_core.promotion.ledger import alias_version

    return alias_version(_client(world), MODEL, alias)


def _history(zebra) -> list[dict]:
    return json.loads(zebra("history", MODEL, "--json").stdout)


def test_promote_to_staging_records_ledger_and_mirror_tag(world, zebra):
    result = zebra("promote", MODEL, "--run", world.run("good"), "--to", "staging")
    assert "threshold" in result.stdout and "PASS" in result.stdout
    assert _alias(world, "staging") == world.version("good")

    (entry,) = _history(zebra)
    assert entry["action"] == "promote" and entry["alias"] == "staging"
    assert entry["from_version"] is None
    assert entry["to_version"] == world.version("good")
    assert entry["run_id"] == world.run("good")
    assert entry["actor"] == "pytest" and entry["forced"] is False
    assert [v["gate"] for v in entry["verdicts"]] == ["threshold", "lineage"]
    assert all(v["passed"] for v in entry["verdicts"])

    mv = _client(world).get_model_version(MODEL, world.version("good"))
    mirror = json.loads(mv.tags["zebra.promoted.staging"])
    assert mirror["id"] == entry["id"] and mirror["to_version"] == entry["to_version"]


def test_failed_gate_refuses_and_leaves_no_trace(world, zebra):
    result = zebra(
        "promote", MODEL, "--run", world.run("weak"), "--to", "staging", ok=False
    )
    assert result.exit_code == 1
    assert "FAIL" in result.stdout and "roc_auc" in result.stdout
    assert "not promoted" in result.stderr
    assert _alias(world, "staging") is None
    assert _history(zebra) == []


def test_forced_promotion_is_recorded_as_forced(world, zebra):
    no_reason = zebra(
        "promote",
        MODEL,
        "--run",
        world.run("weak"),
        "--to",
        "staging",
        "--force",
        ok=False,
    )
    assert no_reason.exit_code == 2 and "reason" in no_reason.stderr

    result = zebra(
        "promote",
        MODEL,
        "--run",
        world.run("weak"),
        "--to",
        "staging",
        "--force",
        "--reason",
        "demo needs it",
        "--json",
    )
    outcome = json.loads(result.stdout)
    assert outcome["promoted"] and outcome["forced"] and not outcome["passed"]
    assert _alias(world, "staging") == world.version("weak")
    (entry,) = _history(zebra)
    assert entry["forced"] is True and entry["reason"] == "demo needs it"
    threshold = next(v for v in entry["verdicts"] if v["gate"] == "threshold")
    assert threshold["passed"] is False and threshold["numbers"]["roc_auc"]["value"]


def test_champion_gate_uses_a_paired_bootstrap(world, zebra):
    zebra("promote", MODEL, "--run", world.run("good"), "--to", "prod")

    # A near-identical model is within the 0.02 tolerance of the champion.
    close = json.loads(
        zebra(
            "promote",
            MODEL,
            "--run",
            world.run("good2"),
            "--to",
            "prod",
            "--json",
        ).stdout
    )
    champion = next(v for v in close["verdicts"] if v["gate"] == "champion")
    assert champion["passed"], champion["reason"]
    numbers = champion["numbers"]
    assert numbers["method"] == "paired_bootstrap"
    assert numbers["champion_version"] == world.version("good")
    assert numbers["ci_low"] <= numbers["difference"] <= numbers["ci_high"]
    assert numbers["rows"] > 500
    print(f"\nchampion[{world.backend}] close: {champion['reason']}")

    # A one-feature model is far worse than the champion: refused.
    weak = zebra(
        "promote",
        MODEL,
        "--run",
        world.run("weak"),
        "--to",
        "prod",
        "--json",
        ok=False,
    )
    assert weak.exit_code == 1
    verdicts = {v["gate"]: v for v in json.loads(weak.stdout)["verdicts"]}
    assert not verdicts["champion"]["passed"]
    assert verdicts["champion"]["numbers"]["method"] == "paired_bootstrap"
    assert verdicts["champion"]["numbers"]["ci_high"] < -0.02
    print(f"champion[{world.backend}] weak: {verdicts['champion']['reason']}")
    assert _alias(world, "prod") == world.version("good2")


def test_rollback_to_and_previous(world, zebra):
    good, good2 = world.version("good"), world.version("good2")
    zebra("promote", MODEL, "--run", world.run("good"), "--to", "prod")
    zebra("promote", MODEL, "--run", world.run("good2"), "--to", "prod")
    assert _alias(world, "prod") == good2

    out = zebra("rollback", MODEL, "--previous", "--reason", "bad canary")
    assert f"-> v{good}" in out.stdout
    assert _alias(world, "prod") == good

    zebra("rollback", MODEL, "--to", world.run("good2"))
    assert _alias(world, "prod") == good2

    entries = _history(zebra)
    assert [e["action"] for e in entries] == [
        "promote",
        "promote",
        "rollback",
        "rollback",
    ]
    assert entries[2]["reason"] == "bad canary"
    assert entries[2]["run_id"] == world.run("good")
    for before, after in zip(entries, entries[1:], strict=False):
        assert after["from_version"] == before["to_version"]
    table = zebra("history", MODEL).stdout
    assert "rollback" in table and "pytest" in table

    same = zebra("rollback", MODEL, "--to", world.run("good2"), ok=False)
    assert same.exit_code == 2 and "already holds" in same.stderr
    neither = zebra("rollback", MODEL, ok=False)
    assert neither.exit_code == 2


def test_rollback_without_alias_or_history_is_refused(world, zebra):
    result = zebra("rollback", MODEL, "--previous", ok=False)
    assert result.exit_code == 1 and "not set" in result.stderr
    zebra("promote", MODEL, "--run", world.run("good"), "--to", "prod")
    first = zebra("rollback", MODEL, "--previous", ok=False)
    assert first.exit_code == 1 and "before v" in first.stderr


def test_failed_run_is_refused(world, zebra):
    result = zebra(
        "promote",
        MODEL,
        "--run",
        world.run("failed"),
        "--to",
        "staging",
        "--force",
        "--reason",
        "try anyway",
        ok=False,
    )
    assert result.exit_code == 1 and "FAILED" in result.stderr
    assert _alias(world, "staging") is None and _history(zebra) == []

    zebra("promote", MODEL, "--run", world.run("good"), "--to", "prod")
    back = zebra("rollback", MODEL, "--to", world.run("failed"), ok=False)
    assert back.exit_code == 1 and "FAILED" in back.stderr
    assert _alias(world, "prod") == world.version("good")


def test_run_without_registered_version_is_refused(world, zebra):
    result = zebra(
        "promote",
        MODEL,
        "--run",
        world.run("unregistered"),
        "--to",
        "staging",
        ok=False,
    )
    assert result.exit_code == 1
    assert "no registered version" in result.stderr
    unknown = zebra("promote", MODEL, "--run", "0" * 32, "--to", "staging", ok=False)
    assert unknown.exit_code == 1 and "no MLflow run" in unknown.stderr


def test_promote_evaluates_a_never_evaluated_run_first(world, zebra):
    from zebraops_core.evaluation.flow import TAG_EVAL_AT

    client = _client(world)
    run_id = world.run("good2")
    if TAG_EVAL_AT in client.get_run(run_id).data.tags:
        client.delete_tag(run_id, TAG_EVAL_AT)
    outcome = json.loads(
        zebra(
            "promote",
            MODEL,
            "--run",
            run_id,
            "--to",
            "staging",
            "--json",
        ).stdout
    )
    assert outcome["evaluated_now"] is True and outcome["promoted"]
    run = client.get_run(run_id)
    assert TAG_EVAL_AT in run.data.tags and "eval.roc_auc" in run.data.metrics


def test_after_promote_hook_gets_the_entry(world, zebra):
    from zebraops_core.hookspecs import hookimpl
    from zebraops_core.plugins import make_plugin_manager, set_plugin_manager

    seen = []

    class Listener:
        @hookimpl
        def after_promote(self, entry):
            seen.append(entry)

    set_plugin_manager(make_plugin_manager(extra=(Listener(),)))
    zebra("promote", MODEL, "--run", world.run("good"), "--to", "staging")
    zebra("promote", MODEL, "--run", world.run("weak"), "--to", "staging", ok=False)
    zebra("promote", MODEL, "--run", world.run("good2"), "--to", "staging")
    zebra("rollback", MODEL, "--previous", "--alias", "staging")
    assert [(e.action, e.to_version) for e in seen] == [
        ("promote", world.version("good")),
        ("promote", world.version("good2")),
        ("rollback", world.version("good")),
    ]
    assert seen[0].id is not None and seen[0].actor == "pytest"


def test_promote_flow_runs_under_a_prefect_server(
    sqlite_only, prefect_server, monkeypatch, zebra
):

    from zebraops_core.evaluation.flow import TAG_EVAL_AT

    world = sqlite_only
    monkeypatch.setenv("ZEBRA_PREFECT_API_URL", prefect_server)
    monkeypatch.setenv("PREFECT_API_URL", prefect_server)  # restored after
    client = _client(world)
    if TAG_EVAL_AT in client.get_run(world.run("good")).data.tags:
        client.delete_tag(world.run("good"), TAG_EVAL_AT)
    outcome = json.loads(
        zebra(
            "promote",
            MODEL,
            "--run",
            world.run("good"),
            "--to",
            "staging",
            "--json",
        ).stdout
    )
    assert outcome["promoted"] and outcome["evaluated_now"]

    done = completed_flows(prefect_server)
    assert {"promote", "eval"} <= done
