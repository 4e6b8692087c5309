"""The fault soak's long run: 1,000 sales through the real controller while the sandbox answers 20 % 5xx, holds
10 % of answers past the client's timeout and adds 300 ms latency; each paid by the customer (tests/support/soak.py).

    .venv/bin/python benchmarks/fault_soak.py [--sales 1000] [--provider jpmorgan] [--seed 7]

Prints one JSON object: sales by final status, charges the till refused, and the goals at zero: duplicate
requests, sales stuck open, settled sales not paid exactly once, payments the journal does not know.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.soak import soak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=1000)
    ap.add_argument("--provider", default="jpmorgan")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(soak(Path(tmp), args.sales, args.provider, args.seed))
    print(json.dumps(figures.to_json(), indent=2))


if __name__ == "__main__":
    main()
