"""The sampling rule: the same rows whether taken while reading or later."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zebraops_core.monitoring.check import analyze
from zebraops_core.monitoring.sampling import (
    read_frame,
    sample_frame,
    sample_rule,
)
from zebraops_core.specs import MonitoringSpec


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "c": rng.choice(["a", "b", "c"], n),
            "i": np.arange(n),
        }
    )


def test_read_time_sample_equals_frame_sample(tmp_path):
    frame = _frame(5000)
    frame.to_parquet(tmp_path / "f.parquet", index=False)
    frame.to_csv(tmp_path / "f.csv", index=False)
    read, total = read_frame(str(tmp_path / "f.parquet"), sample_rows=1000, seed=3)
    assert total == 5000 and len(read) == 1000
    expected = sample_frame(frame, 1000, 3)
    assert read["i"].tolist() == expected["i"].tolist()
    csv, total = read_frame(str(tmp_path / "f.csv"), sample_rows=1000, seed=3)
    assert total == 5000 and csv["i"].tolist() == expected["i"].tolist()
    whole, total = read_frame(str(tmp_path / "f.parquet"), sample_rows=10_000)
    assert total == len(whole) == 5000


def test_rule_states_size_seed_and_reason():
    rule = sample_rule(1_000_000, 50_000, 100_000, 0)
    assert rule["applied"] and rule["sample_rows"] == 100_000 and rule["seed"] == 0
    assert rule["reference_rows"] == 1_000_000
    assert "0.0062" in rule["reason"]  # the DKW bound at n = 100,000
    assert not sample_rule(10, 10, 100_000, 0)["applied"]


def test_analyze_reports_the_read_time_rule(tmp_path):
    frame = _frame(5000)
    frame.to_parquet(tmp_path / "f.parquet", index=False)
    ref, n_ref = read_frame(str(tmp_path / "f.parquet"), sample_rows=1000, seed=0)
    cur, n_cur = read_frame(str(tmp_path / "f.parquet"), sample_rows=1000, seed=1)
    spec = MonitoringSpec(sample_rows=1000)
    rule = sample_rule(n_ref, n_cur, 1000, 0)
    analysis = analyze(ref, cur, spec, sampling=rule, exclude=["i"])
    assert analysis.sampling["applied"] is True
    assert analysis.sampling["reference_rows"] == 5000
    assert analysis.status == "no-drift"
