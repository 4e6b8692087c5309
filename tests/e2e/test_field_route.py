"""A route of 1,000 bills end to end against a real `tillqr sandbox` on 127.0.0.1 (issue 11's "what it must show").

Import in bulk calls, readings recorded while the provider drops every connection, a sync that finds it offline
(exit 3, all pending), a sync once it is back (exit 0, all synced), a second sync that changes nothing, then three
customers paying with the payload printed on their bills and the provider taking exactly the computed charge.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.routes import reading_for, record_offline, write_route

pytestmark = pytest.mark.e2e

N = 1000


def tillqr(home: Path, url: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TILLQR_SANDBOX_URL=url, TILLQR_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def test_a_route_of_1000_bills(sandbox_url: str, tmp_path: Path) -> None:
    httpx.post(f"{sandbox_url}/_sandbox/reset").raise_for_status()
    route = tmp_path / "route.csv"
    ids = write_route(route, N)
    home = tmp_path / "home"

    imported = tillqr(home, sandbox_url, "bills", "import", str(route), "--json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["requests_created"] == N and report["links_created"] == N and report["linked"] == N
    assert report["bulk_calls"] == N // 25 and report["complete"] == N and report["refused"] == []
    calls = httpx.get(f"{sandbox_url}/_sandbox/calls").json()
    bulk_posts = [c for c in calls["calls"] if c["path"].endswith("/payment-requests/bulk")]
    assert len(bulk_posts) == N // 25

    httpx.post(f"{sandbox_url}/_sandbox/faults", json={"drop_rate": 1.0}).raise_for_status()
    # two readings through the command itself, the rest through the same command layer in-process
    for i in (1, 2):
        done = tillqr(home, sandbox_url, "bills", "record", ids[i - 1], reading_for(i, 1000 + i), "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["sync_state"] == "pending"
    record_offline(home, [(b, reading_for(i, 1000 + i)) for i, b in enumerate(ids, 1) if i > 2])
    listed = json.loads(tillqr(home, sandbox_url, "bills", "list", "--json").stdout)
    assert len(listed) == N and all(b["sync_state"] == "pending" for b in listed)

    offline = tillqr(home, sandbox_url, "sync", "--json")
    assert offline.returncode == 3, offline.stderr
    summary = json.loads(offline.stdout)
    assert summary["offline"] is True and summary["pending"] == N and summary["synced"] == 0

    httpx.delete(f"{sandbox_url}/_sandbox/faults").raise_for_status()
    online = tillqr(home, sandbox_url, "sync", "--json")
    assert online.returncode == 0, online.stderr
    summary = json.loads(online.stdout)
    assert summary["synced"] == N and summary["pending"] == 0 and summary["conflicts"] == []

    again = tillqr(home, sandbox_url, "sync", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["synced"] == 0

    listed = {b["bill_id"]: b for b in json.loads(tillqr(home, sandbox_url, "bills", "list", "--json").stdout)}
    assert all(b["sync_state"] == "synced" for b in listed.values())
    for bill_id in (ids[0], ids[499], ids[-1]):
        bill = listed[bill_id]
        paid = httpx.post(f"{sandbox_url}/_sandbox/pay", json={"payload": bill["payload"]})
        assert paid.status_code == 200, paid.text
        assert paid.json()["amount_paid"] == bill["charge"]
    state = {
        r["external_reference"]: r for r in httpx.get(f"{sandbox_url}/_sandbox/state?with=revision").json()["requests"]
    }
    for bill_id in (ids[0], ids[499], ids[-1]):
        assert state[bill_id]["status"] == "SETTLED" and state[bill_id]["amount_paid"] == listed[bill_id]["charge"]


def test_a_bill_paid_and_one_changed_at_the_provider_are_conflicts_left_untouched(
    sandbox_url: str, tmp_path: Path
) -> None:
    route = tmp_path / "route.csv"
    ids = write_route(route, 4, prefix="C")
    home = tmp_path / "home"
    assert tillqr(home, sandbox_url, "bills", "import", str(route)).returncode == 0
    for i, bill_id in enumerate(ids, 1):
        assert tillqr(home, sandbox_url, "bills", "record", bill_id, reading_for(i, 1000 + i)).returncode == 0
    printed = {
        b["bill_id"]: b["payload"] for b in json.loads(tillqr(home, sandbox_url, "bills", "list", "--json").stdout)
    }
    paid = httpx.post(f"{sandbox_url}/_sandbox/pay", json={"payload": printed[ids[0]]})
    assert paid.status_code == 200
    changed = httpx.post(f"{sandbox_url}/_sandbox/change", json={"payload": printed[ids[1]], "amount": "77.70"})
    assert changed.status_code == 200
    done = tillqr(home, sandbox_url, "sync")
    assert done.returncode == 4, done.stderr
    assert f"conflict: {ids[0]}: paid at the provider" in done.stdout
    assert f"conflict: {ids[1]}: changed at the provider" in done.stdout and "77.70" in done.stdout
    state = {
        r["external_reference"]: r for r in httpx.get(f"{sandbox_url}/_sandbox/state?with=revision").json()["requests"]
    }
    assert state[ids[0]]["status"] == "SETTLED" and state[ids[0]]["amount_paid"] == paid.json()["amount_paid"]
    assert state[ids[1]]["amount"] == "77.70" and state[ids[1]]["revision"] == 1
    assert state[ids[2]]["revision"] == 1 and state[ids[3]]["revision"] == 1  # the others synced
    listed = {b["bill_id"]: b for b in json.loads(tillqr(home, sandbox_url, "bills", "list", "--json").stdout)}
    assert listed[ids[0]]["sync_state"] == "conflict" and "paid at the provider" in listed[ids[0]]["reason"]
