"""A sync killed with SIGKILL at random points and run again updates every bill exactly once.

Against a real `tillqr sandbox` on 127.0.0.1: each bill's payment request starts at revision 0 (import) and an
amount update is its only change, so after any number of killed syncs and one that finishes, every request must be
at revision 1 with the computed charge (a second update would make it 2; a lost one would leave it 0). The longer
run (more bills, more kills) is ``benchmarks/sync_kill.py``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import sandbox_url  # noqa: F401 - the real sandbox fixture, shared
from tests.support.routes import reading_for, record_offline, write_route

pytestmark = pytest.mark.e2e

N = 150


def env(home: Path, url: str) -> dict[str, str]:
    return dict(os.environ, TILLQR_SANDBOX_URL=url, TILLQR_HOME=str(home))


def run(home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env(home, url), timeout=300
    )


def updates_seen(url: str) -> int:
    calls = httpx.get(f"{url}/_sandbox/calls").json()["calls"]
    return sum(1 for c in calls if c["method"] == "PATCH")


def killed_sync(home: Path, url: str, after_updates: int) -> int | None:
    """Start `tillqr sync` and SIGKILL it once the sandbox has received ``after_updates`` more amount updates
    (a point inside the sync, whatever this machine's speed); its exit code if it ended first, else None."""
    start = updates_seen(url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "sync", "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env(home, url),
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if updates_seen(url) - start >= after_updates:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            return None
        time.sleep(0.01)
    return proc.wait(30)


def test_sync_killed_at_random_points_updates_each_bill_once(sandbox_url: str, tmp_path: Path) -> None:
    httpx.post(f"{sandbox_url}/_sandbox/reset").raise_for_status()
    # latency per call, so the test sees the updates arrive and kills the sync among them
    httpx.post(f"{sandbox_url}/_sandbox/faults", json={"latency_ms": 60}).raise_for_status()
    route = tmp_path / "route.csv"
    ids = write_route(route, N, prefix="K")
    home = tmp_path / "home"
    done = run(home, sandbox_url, "bills", "import", str(route), "--json")
    assert done.returncode == 0, done.stderr
    by_command = {1, 2, 3}  # a few through the command itself; the rest through the same command layer at once
    for i in sorted(by_command):
        assert run(home, sandbox_url, "bills", "record", ids[i - 1], reading_for(i, 1000 + i)).returncode == 0
    record_offline(home, [(b, reading_for(i, 1000 + i)) for i, b in enumerate(ids, 1) if i not in by_command])

    rng = random.Random(int(os.environ.get("KILL_SEED", "11")))  # the kill points: random, and repeatable
    kills = 0
    started = time.monotonic()
    while kills < 3:
        if killed_sync(home, sandbox_url, rng.randint(1, N // 3)) is not None:
            break
        kills += 1
    httpx.delete(f"{sandbox_url}/_sandbox/faults").raise_for_status()
    final = run(home, sandbox_url, "sync", "--json")
    assert final.returncode == 0, final.stderr
    assert json.loads(final.stdout)["pending"] == 0
    listed = {b["bill_id"]: b for b in json.loads(run(home, sandbox_url, "bills", "list", "--json").stdout)}
    state = {
        r["external_reference"]: r for r in httpx.get(f"{sandbox_url}/_sandbox/state?with=revision").json()["requests"]
    }
    wrong = [
        (b, state[b]["revision"], state[b]["amount"], listed[b]["charge"])
        for b in ids
        if state[b]["revision"] != 1 or state[b]["amount"] != listed[b]["charge"]
    ]
    assert not wrong, f"after {kills} kills ({time.monotonic() - started:.1f} s): {wrong[:5]}"
    assert kills >= 1, "no sync was killed: the test proved nothing"
