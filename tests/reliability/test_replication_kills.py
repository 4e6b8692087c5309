"""Exactly once under kills, the quick run: three tills and two field laptops (each its own TILLQR_HOME) write
sales, status changes, refunds and readings through the real journal and field book while their senders
(``tillqr backoffice push`` in a loop), ``tillqr backoffice serve`` and PostgreSQL (``pg_ctl stop -m immediate``)
are killed at random; at the end the back office holds every record of every outbox once, with its bytes
(tests/support/exactly_once.py says what is checked). The long run (100,000 records, 300+ kills) is
``benchmarks/replication_harness.py``."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.exactly_once import Kill, audit, campaign
from tests.support.fleet import KILLABLE, Fleet, Producer
from tests.support.pg import PgCluster, PgMissing, start_cluster

pytestmark = pytest.mark.e2e

RECORDS = 1500
KILLS = 6


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    """A cluster of this test's own: it is killed (the session's cluster serves other tests)."""
    try:
        cluster = start_cluster(KILLABLE)
    except PgMissing as exc:
        pytest.fail(f"the harness needs PostgreSQL ({exc})", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.folder, ignore_errors=True)


def test_every_record_reaches_the_back_office_once_through_kills(own_cluster: PgCluster, tmp_path: Path) -> None:
    fleet = Fleet.start(own_cluster, KILLABLE, tmp_path)
    try:
        fleet.wait_ready()
        rng = random.Random(int(os.environ.get("KILL_SEED", "15")))
        producer = Producer(fleet.machines, RECORDS, seed=rng.randrange(1 << 30))
        tally = campaign(fleet, producer, KILLS, rng, gap_s=(0.2, 0.8))
        found = audit(fleet)
    finally:
        fleet.close()
    assert all(tally.kills[k] >= 1 for k in Kill), tally.kills  # each kind of death happened: the test proved something
    assert found.records >= RECORDS and found.total("sales") > 0, found.to_json()
    assert found.problems == [], found.to_json()
    assert found.total("at_backoffice") == found.records
