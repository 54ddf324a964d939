"""Lineage of a training run: git state, environment digest, spec hash.

Each value becomes a ``zebra.*`` tag on the MLflow run and on the model
version it produces (tag names in :mod:`zebraops_core.tracking`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs

from .. import tracking

log = logging.getLogger(__name__)

#: Value of git tags when the project is not in a git work tree.
NO_GIT = "none"


@attrs.frozen
class GitInfo:
    commit: str = NO_GIT
    dirty: str = NO_GIT  # "true" | "false" | "none"
    diff_hash: str = ""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        timeout=30,
        check=False,
    )


def git_info(root: Path) -> GitInfo:
    """Commit, dirty flag and a hash of the uncommitted diff (tracked files
    and the names of untracked ones) of the repository holding ``root``."""
    try:
        head = _git(root, "rev-parse", "HEAD")
    except (OSError, subprocess.TimeoutExpired):
        return GitInfo()
    if head.returncode != 0:
        return GitInfo()
    commit = head.stdout.decode().strip()
    status = _git(root, "status", "--porcelain", "--untracked-files=normal", ".")
    if not status.stdout.strip():
        return GitInfo(commit=commit, dirty="false")
    diff = _git(root, "diff", "HEAD", "--", ".")
    digest = hashlib.sha256(diff.stdout + b"\0" + status.stdout).hexdigest()[:16]
    return GitInfo(commit=commit, dirty="true", diff_hash=digest)


# -- Environment digest ---------------------------------------------------


def _site_dirs() -> list[Path]:
    import site

    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    return [Path(d) for d in dict.fromkeys(dirs) if Path(d).is_dir()]


def _env_key() -> str:
    """Cheap identity of the environment: the site folders' mtimes (they
    change whenever a distribution is installed or removed)."""
    parts = [sys.prefix, sys.version]
    for d in _site_dirs():
        parts.append(f"{d}:{d.stat().st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def compute_env_digest() -> str:
    """Hash of every installed distribution's name and version."""
    from importlib.metadata import distributions

    names = sorted(
        {
            f"{(d.metadata['Name'] or '').lower()}=={d.version}"
            for d in distributions()
            if d.metadata["Name"]
        }
    )
    payload = "\n".join([f"python=={sys.version.split()[0]}", *names])
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:16]


def env_digest(cache_dir: Path | None = None) -> str:
    """The environment digest, or the container image digest when
    ``ZEBRA_IMAGE_DIGEST`` says there is one. Cached by :func:`_env_key`."""
    image = os.environ.get("ZEBRA_IMAGE_DIGEST")
    if image:
        return image
    key = _env_key()
    cache = (cache_dir or Path(tempfile.gettempdir())) / "env_digest.json"
    try:
        cached = json.loads(cache.read_text())
        if cached.get("key") == key:
            return str(cached["digest"])
    except (OSError, ValueError, KeyError):
        pass
    digest = compute_env_digest()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, "digest": digest}))
        os.replace(tmp, cache)
    except OSError:
        log.debug("cannot cache the env digest in %s", cache)
    return digest


# -- Tags -----------------------------------------------------------------


def lineage_tags(
    *,
    model: str,
    spec_hash: str,
    git: GitInfo,
    manifest_ids: dict[str, str],
    env: str,
    profile: str,
    runner: str,
) -> dict[str, str]:
    """The ``zebra.*`` tags shared by a run and its model version."""
    tags: dict[str, Any] = {
        tracking.TAG_MODEL: model,
        tracking.TAG_SPEC_HASH: spec_hash,
        tracking.TAG_GIT_COMMIT: git.commit,
        tracking.TAG_GIT_DIRTY: git.dirty,
        tracking.TAG_ENV_DIGEST: env,
        tracking.TAG_PROFILE: profile,
        tracking.TAG_RUNNER: runner,
        **tracking.dataset_tags(manifest_ids),
    }
    if git.diff_hash:
        tags[tracking.TAG_GIT_DIFF_HASH] = git.diff_hash
    return {k: str(v) for k, v in tags.items()}
