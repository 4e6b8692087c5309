"""The longer run of tests/reliability/test_sync_killed.py: a route of many bills, a sync killed with SIGKILL at
many random points (each after a random number of amount updates reached the sandbox), then run to the end; every
bill's payment request must have been updated exactly once (revision 1, the computed charge).

    .venv/bin/python benchmarks/sync_kill.py [--bills 1000] [--kills 10] [--seed 7] [--latency-ms 20]

Prints one JSON object: the kill points, how many updates the sandbox received in all (the replays of lost
answers included), and the bills found wrong (must be none).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.conftest import start_sandbox, stop_sandbox
from tests.reliability.test_sync_killed import killed_sync, run, updates_seen
from tests.support.routes import reading_for, record_offline, write_route


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bills", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--latency-ms", type=int, default=20)
    args = ap.parse_args()
    proc, url = start_sandbox()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            route = Path(tmp) / "route.csv"
            ids = write_route(route, args.bills, prefix="S")
            done = run(home, url, "bills", "import", str(route), "--json")
            assert done.returncode == 0, done.stderr
            record_offline(home, [(b, reading_for(i, 1000 + i)) for i, b in enumerate(ids, 1)])
            httpx.post(f"{url}/_sandbox/faults", json={"latency_ms": args.latency_ms}).raise_for_status()
            rng = random.Random(args.seed)
            points: list[int] = []
            t0 = time.perf_counter()
            for _ in range(args.kills):
                point = rng.randint(1, max(1, args.bills // args.kills))
                if killed_sync(home, url, point) is not None:
                    break
                points.append(point)
            httpx.delete(f"{url}/_sandbox/faults").raise_for_status()
            final = run(home, url, "sync", "--json")
            listed = {b["bill_id"]: b for b in json.loads(run(home, url, "bills", "list", "--json").stdout)}
            state = {
                r["external_reference"]: r for r in httpx.get(f"{url}/_sandbox/state?with=revision").json()["requests"]
            }
            wrong = [b for b in ids if state[b]["revision"] != 1 or state[b]["amount"] != listed[b]["charge"]]
            print(
                json.dumps(
                    {
                        "bills": args.bills,
                        "kills": len(points),
                        "kill_points_updates": points,
                        "final_sync_exit": final.returncode,
                        "final_sync": json.loads(final.stdout) if final.stdout else final.stderr,
                        "updates_received": updates_seen(url),
                        "bills_updated_other_than_once": len(wrong),
                        "wrong_examples": wrong[:5],
                        "seconds": round(time.perf_counter() - t0, 1),
                    },
                    indent=2,
                )
            )
    finally:
        stop_sandbox(proc)


if __name__ == "__main__":
    main()
