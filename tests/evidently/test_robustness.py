"""The evidently monitor on the inputs Evidently alone mishandles.

Each case: never a crash, never a NaN score, and the column reported as
skipped or drifted with a reason that says why.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zebraops_core.plugins import get_implementation
from zebraops_core.specs import MonitoringSpec

N = 1500


@pytest.fixture
def monitor():
    return get_implementation("monitor", "evidently")()


@pytest.fixture
def frames():
    rng = np.random.default_rng(7)

    def make(seed_shift: int = 0) -> pd.DataFrame:
        r = np.random.default_rng(seed_shift)
        return pd.DataFrame(
            {
                "x": r.normal(size=N),
                "y": r.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2]),
            }
        )

    return make(1), make(2), rng


def check(monitor, ref, cur, tmp_path: Path | None = None, **kw):
    spec = MonitoringSpec(**kw)
    path = tmp_path / "r.html" if tmp_path else None
    cols, quality, sampling = monitor.check(ref, cur, spec, report_path=path)
    for c in cols:
        assert c.status in ("ok", "drifted", "skipped")
        assert c.score is None or math.isfinite(c.score), c
        if c.status != "ok":
            assert c.reason, c
    return {c.column: c for c in cols}, quality, sampling


def test_same_distribution_is_ok(monitor, frames, tmp_path):
    ref, cur, _ = frames
    cols, quality, sampling = check(monitor, ref, cur, tmp_path)
    assert cols["x"].status == "ok" and cols["y"].status == "ok"
    assert cols["x"].test and cols["x"].threshold == pytest.approx(0.1)
    assert sampling["applied"] is False
    page = (tmp_path / "r.html").read_text()
    assert "zebraops-columns" in page and len(page) > 100_000  # Evidently's too


def test_entirely_empty_column(monitor, frames):
    ref, cur, _ = frames
    ref["e"], cur["e"] = np.nan, np.nan
    ref["gone"], cur["gone"] = ref["x"], np.nan
    cols, _, _ = check(monitor, ref, cur)
    assert cols["e"].status == "skipped" and "no values" in cols["e"].reason
    assert cols["gone"].status == "drifted"
    assert "every current value is missing" in cols["gone"].reason
    assert cols["x"].status == "ok"


def test_empty_in_reference_only(monitor, frames):
    ref, cur, _ = frames
    ref["r"], cur["r"] = np.nan, cur["x"]
    cols, _, _ = check(monitor, ref, cur)
    assert cols["r"].status == "skipped" and "reference" in cols["r"].reason


def test_constant_columns(monitor, frames):
    ref, cur, _ = frames
    ref["k"], cur["k"] = 3.0, 3.0
    ref["kc"], cur["kc"] = "same", "same"
    ref["moved"] = 1.0
    cur["moved"] = np.where(np.arange(N) % 2 == 0, 1.0, 2.0)
    ref["cur_const"], cur["cur_const"] = ref["x"], 0.5
    cols, _, _ = check(monitor, ref, cur)
    assert cols["k"].status == "ok" and cols["k"].score == 0.0
    assert "constant in the reference" in cols["k"].reason
    assert cols["kc"].status == "ok"
    assert cols["moved"].status == "drifted" and cols["moved"].score == 0.5
    assert cols["cur_const"].status == "drifted"  # Evidently handles this side


def test_categories_appear_and_vanish(monitor, frames):
    ref, cur, rng = frames
    cur["y"] = rng.choice(["a", "b", "new1", "new2"], N)
    cols, quality, _ = check(monitor, ref, cur)
    assert cols["y"].status == "drifted"
    assert "new categories in current [new1, new2]" in cols["y"].reason
    assert "categories absent from current [c]" in cols["y"].reason
    assert quality["columns"]["y"]["new_categories"] == ["new1", "new2"]


def test_small_reference_uses_p_values_with_unseen_category(monitor, tmp_path):
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"y": rng.choice(["a", "b", "c"], 200)})
    cur = pd.DataFrame({"y": rng.choice(["a", "b", "c", "d"], 200)})
    cols, _, _ = check(monitor, ref, cur, tmp_path)
    assert cols["y"].status == "drifted"
    assert "p_value" in cols["y"].test and "d" in cols["y"].reason


def test_handful_of_rows(monitor, frames, tmp_path):
    ref, cur, _ = frames
    cols, _, _ = check(monitor, ref, cur.head(3), tmp_path)
    assert all(c.status == "skipped" for c in cols.values())
    assert "too few rows" in cols["x"].reason
    assert (tmp_path / "r.html").is_file()  # still a report, our table only


def test_datetime_columns(monitor, frames):
    ref, cur, _ = frames
    ref["when"] = pd.date_range("2024-01-01", periods=N, freq="h")
    cur["when"] = pd.date_range("2025-01-01", periods=N, freq="h")
    ref["when_text"], cur["when_text"] = ref["when"].astype(str), cur["when"]
    cols, _, _ = check(monitor, ref, cur)
    assert cols["when"].status == "skipped" and "datetime" in cols["when"].reason
    types = {"when_text": "datetime"}
    out, _, _ = monitor.check(ref, cur, MonitoringSpec(), column_types=types)
    assert {c.column: c for c in out}["when_text"].status == "skipped"


def test_nan_heavy_numeric(monitor, frames):
    ref, cur, rng = frames
    ref["sparse"] = np.where(rng.random(N) < 0.95, np.nan, rng.normal(size=N))
    cur["sparse"] = np.where(rng.random(N) < 0.95, np.nan, rng.normal(size=N))
    ref["sparser"] = ref["x"]
    cur["sparser"] = np.where(rng.random(N) < 0.9, np.nan, cur["x"])
    ref["three"] = np.nan
    ref.loc[:2, "three"] = [1.0, 2.0, 3.0]
    cur["three"] = ref["three"]
    ref["inf"], cur["inf"] = ref["x"], cur["x"].replace(cur["x"].iloc[0], np.inf)
    cols, quality, _ = check(monitor, ref, cur)
    assert cols["sparse"].status in ("ok", "drifted")
    assert cols["sparse"].score is not None
    assert cols["sparser"].status == "drifted"
    assert cols["sparser"].test == "missing_share"
    assert (
        cols["three"].status == "skipped" and "too few values" in cols["three"].reason
    )
    assert cols["inf"].status == "ok"
    assert quality["columns"]["sparse"]["missing_reference"] > 0.9


def test_identifier_and_text_numbers(monitor, frames):
    ref, cur, _ = frames
    ref["id"] = [f"r{i}" for i in range(N)]
    cur["id"] = [f"c{i}" for i in range(N)]
    ref["num_text"] = ref["x"].astype(str)
    cur["num_text"] = cur["x"].astype(str)
    cur.loc[:9, "num_text"] = " "
    cols, quality, _ = check(
        monitor,
        ref,
        cur,
    )
    assert cols["id"].status == "skipped" and "identifier" in cols["id"].reason
    out, quality, _ = monitor.check(
        ref, cur, MonitoringSpec(), column_types={"num_text": "float"}
    )
    found = {c.column: c for c in out}["num_text"]
    assert found.status == "ok" and "not numbers" in found.reason
    assert quality["columns"]["num_text"]["unparsed_current"] == 10


def test_absent_and_ignored_columns(monitor, frames):
    ref, cur, _ = frames
    ref["only_ref"] = 1.0
    cur["only_cur"] = 1.0
    cols, quality, _ = check(monitor, ref, cur, ignore_columns=["y"])
    assert "y" not in cols
    assert cols["only_ref"].status == "skipped"
    assert "absent" in cols["only_ref"].reason
    assert quality["extra_columns_in_current"] == ["only_cur"]


def test_mixed_types_and_bools(monitor, frames):
    ref, cur, _ = frames
    ref["mixed"] = ["a", 1, 2.5, None] * (N // 4) + ["a"] * (N % 4)
    cur["mixed"] = ["a", 1, 2.5, None] * (N // 4) + ["a"] * (N % 4)
    ref["flag"] = ref["x"] > 0
    cur["flag"] = cur["x"] > 1.5
    cols, _, _ = check(monitor, ref, cur)
    assert cols["mixed"].status == "ok"
    assert cols["flag"].status == "drifted"


def test_sampling_rule_above_sample_rows(monitor):
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=5000)})
    cur = pd.DataFrame({"x": rng.normal(size=4000)})
    cols, quality, sampling = check(monitor, ref, cur, sample_rows=1000, seed=5)
    assert sampling["applied"] is True
    assert sampling["sample_rows"] == 1000 and sampling["seed"] == 5
    assert "Dvoretzky-Kiefer-Wolfowitz" in sampling["reason"]
    assert quality["rows_reference"] == 1000 and quality["rows_current"] == 1000
    assert cols["x"].status == "ok"
    # The same seed gives the same verdict and score
    again, _, _ = check(monitor, ref, cur, sample_rows=1000, seed=5)
    assert again["x"].score == cols["x"].score


def test_per_column_threshold_override(monitor, frames):
    ref, cur, _ = frames
    cur["x"] = cur["x"] + 0.05
    plain, _, _ = check(monitor, ref, cur)
    strict, _, _ = check(monitor, ref, cur, column_thresholds={"x": 0.01})
    assert plain["x"].status == "ok"
    assert strict["x"].status == "drifted" and strict["x"].threshold == 0.01
