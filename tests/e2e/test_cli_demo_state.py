"""`tillqr` commands in demo mode on the sandbox inside each command (no TILLQR_SANDBOX_URL): its state is kept
under TILLQR_HOME, so one command finds what the one before created."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.runtime import SANDBOX_STATE_FILE
from app.sandbox import create_app, persist

pytestmark = pytest.mark.e2e


def env(home: Path) -> dict[str, str]:
    out = dict(os.environ, TILLQR_HOME=str(home))
    out.pop("TILLQR_SANDBOX_URL", None)
    return out


def tillqr(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env(home), timeout=60
    )


def saved_state(home: Path) -> dict:
    """The sandbox's state as the commands left it, read back the way the next command reads it."""
    app = create_app(modules=("app.sandbox.jpmorgan",))
    assert persist.load(app.state.sandbox, home / "data" / SANDBOX_STATE_FILE) is True
    return app.state.sandbox.snapshot()


def test_two_demo_charges_in_a_row_share_the_sandbox_and_its_counter_link(tmp_path):
    results = [tillqr(tmp_path, "charge", "5.00", "--demo", "--wait", "1") for _ in range(2)]
    lines = [[json.loads(line) for line in r.stdout.splitlines()] for r in results]
    for r, out in zip(results, lines):
        assert r.returncode == 2, r.stderr  # unpaid, cancelled after --wait: not an error
        assert out[-1]["event"] == "closed" and out[-1]["status"] == "cancelled" and out[-1]["unlinked"] is True
        assert "error" not in r.stderr and "Traceback" not in r.stderr
    path = tmp_path / "data" / SANDBOX_STATE_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    state = saved_state(tmp_path)
    assert sorted(r["id"] for r in state["requests"]) == sorted(out[0]["request_id"] for out in lines)
    assert {r["status"] for r in state["requests"]} == {"CANCELLED"}
    assert len(state["links"]) == 1 and state["links"][0]["linked_request"] is None  # the same link both times


def test_recover_after_a_killed_demo_charge_finds_the_sale_at_the_sandbox(tmp_path):
    """Before the state was kept, the next command's sandbox was a fresh one: recover was told "not found" and
    marked the sale failed ("interrupted before the provider created the request"). Now it finds the request
    open at the sandbox and cancels it there."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "charge", "5.00", "--demo", "--wait", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env(tmp_path),
    )
    try:
        linked = json.loads(proc.stdout.readline())
    finally:
        proc.kill()  # as a power cut would: nothing closed, nothing saved at exit
        proc.wait(30)
        proc.stdout.close()
    assert linked["event"] == "linked"
    assert {r["id"]: r["status"] for r in saved_state(tmp_path)["requests"]} == {linked["request_id"]: "ACTIVE"}

    done = tillqr(tmp_path, "recover", "--demo", "--cancel-open", "--json")
    assert done.returncode == 0, done.stderr
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert result["sale_id"] == linked["sale_id"]
    assert result["action"] == "cancelled" and result["status"] == "cancelled" and result["closed"], result
    state = saved_state(tmp_path)
    assert {r["id"]: r["status"] for r in state["requests"]} == {linked["request_id"]: "CANCELLED"}
    assert state["links"][0]["linked_request"] is None
