"""Exactly once under kills, the long run: three tills and two field laptops (separate TILLQR_HOMEs, each
registered with the back office) write sales with their status changes and refunds through the journal and
readings through the field book, 100,000 records in all by default, while their senders (``tillqr backoffice
push`` in a loop, one process each), ``tillqr backoffice serve`` and PostgreSQL (``pg_ctl stop -m immediate``,
fsync on) are killed at random moments and started again, 300 times at least; then every outbox is compared
with the back office (tests/support/exactly_once.py: counts, sha256 of every record, gap-free seq per device
and stream, the sales projection).

    .venv/bin/python benchmarks/replication_harness.py [--records 100000] [--kills 300] [--seed 1]

Prints one JSON object: kills by kind, times, records per device, and the violations (goal 0: lost, duplicated,
hash mismatches, gaps, set aside, conflicts, refused). Measured, never asserted.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.exactly_once import audit, campaign, figures
from tests.support.fleet import Fleet, Producer
from tests.support.pg import start_cluster

DURABLE = ""  # PostgreSQL as a shop runs it: fsync and synchronous_commit on


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000, help="records written in all")
    ap.add_argument("--kills", type=int, default=300, help="kills at least (more while records are still written)")
    ap.add_argument("--gap", type=float, nargs=2, default=(0.2, 1.2), metavar=("MIN", "MAX"), help="s between kills")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cluster = start_cluster(DURABLE)
    folder = Path(tempfile.mkdtemp(prefix="tillqr-harness-"))
    try:
        print(f"harness: homes and logs in {folder}", file=sys.stderr, flush=True)
        fleet = Fleet.start(cluster, DURABLE, folder)
        try:
            fleet.wait_ready()
            producer = Producer(fleet.machines, args.records, seed=rng.randrange(1 << 30))
            t0 = time.perf_counter()
            tally = campaign(fleet, producer, args.kills, rng, gap_s=tuple(args.gap))
            found = audit(fleet)
            took = time.perf_counter() - t0
        finally:
            fleet.close()
        print(
            figures(
                tally,
                found,
                seed=args.seed,
                asked_records=args.records,
                sales=producer.sales,
                refunds=producer.refunds,
                readings=producer.readings,
                wall_s=round(took, 1),
                pg="fsync on, synchronous_commit on",
            )
        )
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.folder, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
