"""The README's main job, end to end, on the real Telco file."""

import json

import pytest


@pytest.mark.slow
def test_demo_runs_the_whole_loop_on_real_data(zebra, telco_csv, tmp_path):
    project = tmp_path / "demo"
    result = zebra("demo", "--data", str(telco_csv), "--keep", str(project), "--json")
    report = json.loads(result.stdout)

    # Data and training on the real file.
    assert sum(report["rows"].values()) == 7043
    assert len(report["grid"]) == 4
    assert report["metrics"]["roc_auc"] > 0.8

    # Promoted, served and answered.
    assert report["version"] == "1"
    assert report["predictions"] == 200
    assert all(v["passed"] for v in report["verdicts"])

    # The drifted batch is caught, with reasons and a report on disk.
    assert report["recommendation"] is True
    assert any("tenure" in reason for reason in report["reasons"])
    assert (project / "cached_data" / "reports" / "churn").is_dir()
    assert report["monitor_report"].endswith(".html")

    # The server was stopped: nothing listens on its port any more.
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(report["served_url"] + "/health", timeout=2)
