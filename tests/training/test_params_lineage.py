"""Hyperparameter overrides, grid expansion and lineage values."""

from __future__ import annotations

import subprocess

import pytest

from zebraops_core.errors import ConfigError
from zebraops_core.training import lineage
from zebraops_core.training.params import expand_grid, parse_overrides


def test_parse_overrides_types_values():
    assert parse_overrides(
        ["C=0.5", "class_weight=balanced", "w=null", "n=3", "axis=[1, 2]", "s=a=b"]
    ) == {
        "C": 0.5,
        "class_weight": "balanced",
        "w": None,
        "n": 3,
        "axis": [1, 2],
        "s": "a=b",
    }
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_overrides(["C"])


def test_expand_grid_with_overrides():
    defaults = {"C": 1.0, "class_weight": None, "max_iter": 100}
    grid = {"C": [0.1, 1.0], "class_weight": [None, "balanced"]}
    points = expand_grid(defaults, grid)
    assert points == [
        {"max_iter": 100, "C": 0.1, "class_weight": None},
        {"max_iter": 100, "C": 0.1, "class_weight": "balanced"},
        {"max_iter": 100, "C": 1.0, "class_weight": None},
        {"max_iter": 100, "C": 1.0, "class_weight": "balanced"},
    ]
    fixed = expand_grid(defaults, grid, {"class_weight": "balanced", "max_iter": 5})
    assert [p["C"] for p in fixed] == [0.1, 1.0]
    assert all(p["class_weight"] == "balanced" and p["max_iter"] == 5 for p in fixed)
    with pytest.raises(ConfigError, match="no values"):
        expand_grid(defaults, {"C": []})


def test_git_info_clean_dirty_and_outside_a_repo(tmp_path):
    assert lineage.git_info(tmp_path) == lineage.GitInfo()

    def git(*args):
        subprocess.run(
            ["git", "-C", str(tmp_path), *args], check=True, capture_output=True
        )

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (tmp_path / "train.py").write_text("print(1)\n")
    git("add", ".")
    git("commit", "-qm", "first")
    clean = lineage.git_info(tmp_path)
    assert len(clean.commit) == 40 and clean.dirty == "false" and not clean.diff_hash
    (tmp_path / "train.py").write_text("print(2)\n")
    dirty = lineage.git_info(tmp_path)
    assert dirty.commit == clean.commit and dirty.dirty == "true"
    (tmp_path / "train.py").write_text("print(3)\n")
    assert lineage.git_info(tmp_path).diff_hash not in ("", dirty.diff_hash)


def test_env_digest_is_cached_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv("ZEBRA_IMAGE_DIGEST", raising=False)
    first = lineage.env_digest(tmp_path)
    assert first.startswith("sha256:")
    assert (tmp_path / "env_digest.json").is_file()
    assert lineage.env_digest(tmp_path) == first == lineage.compute_env_digest()
    monkeypatch.setenv("ZEBRA_IMAGE_DIGEST", "sha256:image")
    assert lineage.env_digest(tmp_path) == "sha256:image"
