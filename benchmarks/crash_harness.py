"""The crash harness's long run: `tillqr charge` killed with SIGKILL at random moments on every provider against a
real `tillqr sandbox`, each till recovered (`tillqr recover --cancel-open`) and all checked against the provider's
truth (tests/support/crash.py says what is checked).

    .venv/bin/python benchmarks/crash_harness.py [--runs 240] [--seed 1]

Prints one JSON object: kills by moment, payments made while the till was dead, sales by final status, and the
violations (goal 0: sales lost, sales stuck open, links left holding a request, payments not in a settled sale).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.conftest import start_sandbox, stop_sandbox
from tests.support.crash import campaign

PROVIDERS = ("depay", "jpmorgan", "pix", "razorpay")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=240)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    proc, url = start_sandbox()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            tally = campaign(url, {p: Path(tmp) / p for p in PROVIDERS}, args.runs, args.seed)
            figures = tally.to_json() | {"seconds": round(time.perf_counter() - t0, 1), "seed": args.seed}
    finally:
        stop_sandbox(proc)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
