"""Alias moves racing alias reads: a reader process never sees the alias
missing or pointing anywhere but the two versions, and the ledger's order
is the alias's order, while two processes move the alias concurrently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.promotion.trainkit import MODEL

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MOVES = 12  # per writer


def _spawn(*args: str, **env: str) -> subprocess.Popen:
    full = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.promotion.race_workers", *args],
        cwd=ROOT,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode()[-2000:])
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_alias_readers_always_see_exactly_one_known_version(world, tmp_path):
    from zebraops_core.context import Context
    from zebraops_core.errors import ConfigError
    from zebraops_core.promotion import history, promote, rollback

    ctx = Context(project_dir=world.root)
    good, good2 = world.version("good"), world.version("good2")
    promote(ctx, MODEL, world.run("good"), "prod")
    promote(ctx, MODEL, world.run("good2"), "prod", force=True, reason="race setup")

    out, stop = tmp_path / "answers.json", tmp_path / "stop"
    tracking_uri = ctx.settings.tracking_uri
    reader = _spawn("reader", tracking_uri, MODEL, "prod", str(out), str(stop))
    _wait_for(Path(str(out) + ".ready"), reader)

    # Two writers: another process and this one, interleaving --previous
    # and --to moves.
    ready, go = tmp_path / "writer.ready", tmp_path / "go"
    other = _spawn("writer", str(world.root), str(MOVES), str(ready), str(go))
    _wait_for(ready, other)
    go.write_text("1")
    started = time.monotonic()
    refused = 0
    for i in range(MOVES):
        try:
            if i % 2:
                rollback(ctx, MODEL, previous=True, reason="race main")
            else:
                rollback(ctx, MODEL, to_run=world.run("good"), reason="race main")
        except ConfigError:  # the other writer already put it there
            refused += 1
        time.sleep(0.02)  # a breath between moves, as a person would take
    assert other.wait(300) == 0, other.stderr.read().decode()[-2000:]
    time.sleep(0.1)
    stop.write_text("1")
    assert reader.wait(60) == 0, reader.stderr.read().decode()[-2000:]

    answers = json.loads(out.read_text())
    flips = sum(a != b for a, b in zip(answers, answers[1:], strict=False))
    print(
        f"\nrace[{world.backend}]: {len(answers)} reads, {flips} changes seen, "
        f"{2 * MOVES - refused} moves in {time.monotonic() - started:.1f}s, "
        f"{refused} refused"
    )
    errors = [a for a in answers if a.startswith("error")]
    assert not errors, errors[:3]
    assert set(answers) <= {good, good2}
    assert len(answers) > 50

    entries = history(ctx, MODEL, "prod")
    assert len(entries) == 2 + 2 * MOVES - refused
    # Both writers really raced: their moves interleave in the ledger.
    who = [e.reason for e in entries[2:]]
    switches = sum(a != b for a, b in zip(who, who[1:], strict=False))
    print(
        f"race[{world.backend}]: writers alternated {switches} times "
        f"(world: manifest by {world.manifest_how}, runs by {world.train_how})"
    )
    assert switches >= 2, who
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.from_version == before.to_version, (before, after)
        assert after.id > before.id
    from zebraops_core import tracking
    from zebraops_core.promotion.ledger import alias_version

    assert alias_version(tracking.client(ctx.settings), MODEL, "prod") == (
        entries[-1].to_version
    )
