"""`tillqr charge` killed with SIGKILL at random moments on every provider, recovered, and checked against the
provider's truth: no sale lost, none open, no link holding a request, every payment taken belonging to a settled
sale (the invariants: tests/support/crash.py). The long run (200+ kills) is ``benchmarks/crash_harness.py``."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import sandbox_url  # noqa: F401 - the real sandbox fixture, shared
from tests.support.crash import campaign

pytestmark = pytest.mark.e2e

PROVIDERS = ("depay", "jpmorgan", "pix", "razorpay")


def test_charges_killed_at_random_moments_lose_nothing(sandbox_url: str, tmp_path: Path) -> None:
    httpx.post(f"{sandbox_url}/_sandbox/reset").raise_for_status()
    homes = {p: tmp_path / p for p in PROVIDERS}
    tally = campaign(sandbox_url, homes, runs=12, seed=int(os.environ.get("KILL_SEED", "5")))
    assert tally.kills >= 8, tally.to_json()  # most runs were killed (a few may end first): the test proved something
    assert tally.broken == [], tally.to_json()
    assert sum(tally.final.values()) >= 4  # sales were journaled and checked (a kill at start-up may precede one)
