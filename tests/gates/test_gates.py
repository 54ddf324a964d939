"""The built-in gates, found through the plugin manager, on real numbers."""

from __future__ import annotations

import numpy as np
import pytest

from zebraops_core.interfaces import GateContext
from zebraops_core.plugins import get_implementation, implementations
from zebraops_core.specs.model import Metric, ModelSpec, Promotion

MANIFEST = "telco_churn-0123456789ab"
OTHER = "telco_churn-ba9876543210"


def spec(**kw) -> ModelSpec:
    base = dict(
        name="churn",
        entrypoint="train.py",
        datasets={"train": "telco_churn:train", "valid": "telco_churn:valid"},
        metrics=[
            Metric("roc_auc", "maximize", 0.75),
            Metric("log_loss", "minimize", 0.5),
        ],
        promotion=Promotion(champion_tolerance=0.01),
    )
    base.update(kw)
    return ModelSpec(**base)


def context(**kw) -> GateContext:
    base = dict(
        model=spec(),
        target="prod",
        alias="prod",
        run_id="r1",
        version="2",
        metrics={"roc_auc": 0.8, "log_loss": 0.4},
        eval_manifests={"valid": MANIFEST},
        trained_manifests={"train": MANIFEST, "valid": MANIFEST},
    )
    base.update(kw)
    return GateContext(**base)


def gate(name: str):
    return get_implementation("gate", name)()


def test_gates_plugin_registers_the_three_gates():
    found = implementations("gate")
    assert {"threshold", "champion", "lineage"} <= set(found)
    assert found["champion"][0] == "gates"


# -- threshold -------------------------------------------------------------------


def test_threshold_passes_in_both_directions():
    verdict = gate("threshold").check(context())
    assert verdict.passed, verdict.reason
    assert verdict.numbers["log_loss"]["direction"] == "minimize"


def test_threshold_fails_on_a_minimize_metric_above_its_threshold():
    verdict = gate("threshold").check(
        context(metrics={"roc_auc": 0.9, "log_loss": 0.61})
    )
    assert not verdict.passed
    assert "log_loss" in verdict.reason and "<= 0.5" in verdict.reason
    assert verdict.numbers["roc_auc"]["passed"] is True


def test_threshold_fails_on_a_missing_metric():
    verdict = gate("threshold").check(context(metrics={"log_loss": 0.1}))
    assert not verdict.passed
    assert "roc_auc n/a" in verdict.reason


def test_threshold_passes_when_nothing_declares_one():
    verdict = gate("threshold").check(context(model=spec(metrics=[Metric("roc_auc")])))
    assert verdict.passed and "no metric" in verdict.reason


# -- champion --------------------------------------------------------------------


def _predictions(seed: int = 0, noise_champion: float = 0.0, n: int = 800):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    signal = y + rng.normal(0, 0.8, n)
    challenger = 1 / (1 + np.exp(-signal))
    champ_signal = y * (1 - noise_champion) + rng.normal(0, 0.8, n)
    champion = 1 / (1 + np.exp(-champ_signal))
    as_proba = lambda p: np.stack([1 - p, p], axis=1)  # noqa: E731
    return {
        "y_true": y.astype(object),
        "challenger": as_proba(challenger),
        "champion": as_proba(champion),
        "classes": [0, 1],
        "threshold": 0.5,
    }


def test_champion_passes_with_no_champion():
    verdict = gate("champion").check(context(champion_version=None))
    assert verdict.passed and verdict.numbers["method"] == "none"


def test_champion_bootstrap_identical_models_pass_with_a_zero_interval():
    preds = _predictions()
    preds["champion"] = preds["challenger"].copy()
    verdict = gate("champion").check(
        context(champion_version="1", predictions=preds, options={"n_boot": 200})
    )
    assert verdict.passed, verdict.reason
    assert verdict.numbers["method"] == "paired_bootstrap"
    assert verdict.numbers["ci_low"] == 0.0 == verdict.numbers["ci_high"]
    assert "paired bootstrap" in verdict.reason


def test_champion_bootstrap_fails_a_clearly_worse_challenger():
    preds = _predictions()
    noise = np.random.default_rng(3).uniform(0, 1, 800)
    preds["challenger"] = np.stack([1 - noise, noise], axis=1)  # random scores
    verdict = gate("champion").check(
        context(champion_version="1", predictions=preds, options={"n_boot": 300})
    )
    assert not verdict.passed
    numbers = verdict.numbers
    assert numbers["method"] == "paired_bootstrap"
    assert numbers["ci_high"] < -0.01
    assert numbers["challenger"] < numbers["champion"]


def test_champion_bootstrap_non_inferiority_uses_the_tolerance():
    preds = _predictions(noise_champion=0.0)
    loose = gate("champion").check(
        context(
            champion_version="1",
            predictions=preds,
            options={"n_boot": 300, "tolerance": 0.2},
        )
    )
    strict = gate("champion").check(
        context(
            champion_version="1",
            predictions=preds,
            options={"n_boot": 300, "tolerance": 0.0},
        )
    )
    # Same rows, same interval: only the tolerance decides.
    assert loose.numbers["ci_low"] == strict.numbers["ci_low"]
    assert loose.passed
    assert strict.passed == (strict.numbers["ci_low"] >= 0)


def test_champion_point_estimate_without_predictions():
    ok = gate("champion").check(
        context(champion_version="1", champion_metrics={"roc_auc": 0.805})
    )
    assert ok.passed and ok.numbers["method"] == "point_estimate"
    assert "point estimates" in ok.reason
    bad = gate("champion").check(
        context(champion_version="1", champion_metrics={"roc_auc": 0.9})
    )
    assert not bad.passed
    assert bad.numbers["difference"] == pytest.approx(-0.1)


def test_champion_fails_when_the_champion_has_no_metric():
    verdict = gate("champion").check(context(champion_version="1", champion_metrics={}))
    assert not verdict.passed and "champion has no roc_auc" in verdict.reason


def test_vectorized_bootstrap_metrics_match_sklearn_with_weights():
    from sklearn import metrics as skm
    from zebraops_gates.bootstrap import resample_counts, weighted_metric

    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.uniform(0.01, 0.99, size=300), 2)  # ties on purpose
    out = np.stack([1 - p, p], axis=1)
    w = resample_counts(300, 5, rng)
    pred = (p >= 0.5).astype(int)
    expected = {
        "roc_auc": lambda sw: skm.roc_auc_score(y, p, sample_weight=sw),
        "pr_auc": lambda sw: skm.average_precision_score(y, p, sample_weight=sw),
        "log_loss": lambda sw: skm.log_loss(y, p, sample_weight=sw),
        "brier": lambda sw: skm.brier_score_loss(y, p, sample_weight=sw),
        "accuracy": lambda sw: skm.accuracy_score(y, pred, sample_weight=sw),
        "f1": lambda sw: skm.f1_score(y, pred, sample_weight=sw),
        "precision": lambda sw: skm.precision_score(y, pred, sample_weight=sw),
        "recall": lambda sw: skm.recall_score(y, pred, sample_weight=sw),
    }
    for name, fn in expected.items():
        got = weighted_metric(name, y, out, w, 0.5, True)
        assert got == pytest.approx([fn(row) for row in w]), name
    reg_y = rng.normal(5, 2, 300)
    reg_p = reg_y + rng.normal(0, 1, 300)
    r2 = weighted_metric("r2", reg_y, reg_p, w, 0.5, False)
    assert r2 == pytest.approx([skm.r2_score(reg_y, reg_p, sample_weight=r) for r in w])
    assert weighted_metric("roc_auc", y, out, w, 0.5, None) is None  # multiclass


def test_bootstrap_falls_back_to_a_loop_for_other_metrics():
    from zebraops_gates.bootstrap import paired_bootstrap

    preds = _predictions(n=200)
    for key in ("challenger", "champion"):  # three classes: not vectorized
        p = preds[key]
        preds[key] = np.stack([p[:, 0] * 0.9, p[:, 1] * 0.9, np.full(200, 0.1)], 1)
    preds["classes"] = [0, 1, 2]
    result = paired_bootstrap("accuracy", "maximize", preds, n_boot=50)
    assert result["n_valid_resamples"] == 50
    assert result["ci_low"] <= result["difference"] <= result["ci_high"]


# -- lineage ---------------------------------------------------------------------


def test_lineage_passes_on_the_runs_own_manifest():
    verdict = gate("lineage").check(context())
    assert verdict.passed, verdict.reason


def test_lineage_fails_on_another_manifest():
    verdict = gate("lineage").check(context(eval_manifests={"valid": OTHER}))
    assert not verdict.passed
    assert OTHER in verdict.reason and MANIFEST in verdict.reason


def test_lineage_fails_on_a_file_and_on_an_undeclared_dataset():
    on_file = gate("lineage").check(
        context(eval_manifests={"valid": "file:/tmp/x.parquet"})
    )
    assert not on_file.passed and "file" in on_file.reason
    other = "other_data-0123456789ab"
    wrong = gate("lineage").check(
        context(
            eval_manifests={"valid": other},
            trained_manifests={"valid": other},
        )
    )
    assert not wrong.passed and "telco_churn" in wrong.reason


def test_lineage_fails_without_evaluation():
    verdict = gate("lineage").check(context(eval_manifests={}))
    assert not verdict.passed and "no evaluation" in verdict.reason
