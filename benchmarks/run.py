"""TillQR benchmarks: prints one JSON object of measured figures, each next to its goal.

    make bench        (or: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/run.py)
    python benchmarks/run.py --sales 1000 --memory-sales 10000 --pairs 5 --paid-samples 20

Figures (offscreen Qt platform, real SQLite with fsync, the counter window composed as the GUI does):
- cold_start: `python -m app` spawned → the counter is interactive (the app prints a ready line when
  TILLQR_EXIT_WHEN_READY=1 and exits), paired run by run against a bare PySide6 window
  (bare_window.py); configured mode (Razorpay at `tillqr sandbox` in another process) and demo mode
  (embedded sandbox). Medians of the pairs and of the pair-by-pair ratios.
- import_time: `python -X importtime` of the configured till up to the counter: top ten, and whether
  sandbox, starlette, uvicorn, Pillow, zxing or websockets were loaded.
- charge_to_qr_painted_ms: controller.charge() called → the QR widget has painted that sale's payload,
  on the embedded sandbox; p50/p95 and where the time goes (journal SQLite work with its fsyncs, provider
  calls over the ASGI transport, the QR matrix, the QR's paint, and the rest: the event loop, signals, layout).
- memory: RSS of the till's own process (this one) at start and every 1,000 sales, the sandbox in another
  process; drift = RSS at the last sale − RSS after 1,000.
- payment_to_paid_painted_ms: the customer's pay call returns → the status banner has painted PAID;
  by push (embedded; over the websocket of a sandbox in another process) and by polling alone.
Nothing is asserted: the machines are shared and noisy, so figures are read, not enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import coldstart
import sales
from procs import sandbox_process
from PySide6.QtWidgets import QApplication

from app.config.settings import Settings
from app.ui.app import apply_style
from app.ui.qtloop import TillEventLoop

GOALS = {
    "cold_start_ratio_to_bare_window": "<= 3x",
    "charge_to_qr_painted_p95_ms": "<= 15 (embedded sandbox)",
    "rss_after_1000_sales_mb": "<= 120 (sandbox in another process)",
    "rss_drift_1000_to_10000_mb": "<= 5",
}


def step(what: str) -> None:
    print(f"bench: {what}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=1000, help="sales timed for charge → QR painted")
    ap.add_argument("--memory-sales", type=int, default=10000, help="sales for the memory figures (≥ 1000)")
    ap.add_argument("--pairs", type=int, default=5, help="cold-start pairs (till, bare window) per mode; 0 skips")
    ap.add_argument("--paid-samples", type=int, default=20, help="payments timed per way of learning; 0 skips")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # closing one benchmark's window must not stop the loop
    apply_style(app)
    sales.hook_paints()
    result: dict = {
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count(), "platform": app.platformName()},
        "goals": GOALS,
    }
    with sandbox_process() as url, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        if args.pairs:
            step("cold start, paired")
            result["cold_start"] = {m: coldstart.paired(m, args.pairs, url) for m in ("configured", "demo")}
            result["import_time_configured"] = coldstart.importtime("configured", url)
        with asyncio.Runner(loop_factory=lambda: TillEventLoop(app)) as r:
            if args.sales:
                step("charge → QR painted")
                result["charge_to_qr_painted_ms"] = r.run(sales.charge_to_qr(home / "a", args.sales))
            if args.memory_sales:
                step("memory")
                mem = r.run(sales.memory(home / "m", args.memory_sales, url))
                rss = mem["rss_mb"]
                last = (
                    rss[f"after_{args.memory_sales - args.memory_sales % 1000}"] if args.memory_sales >= 1000 else None
                )
                if "after_1000" in rss and last is not None:
                    mem["rss_after_1000_mb"] = rss["after_1000"]
                    mem["drift_mb"] = round(last - rss["after_1000"], 1)
                result["memory"] = mem
            if args.paid_samples:
                step("payment → PAID painted")
                poll = Settings().poll_interval
                result["payment_to_paid_painted_ms"] = {
                    "push": r.run(sales.paid(home / "b", args.paid_samples, push=True, poll=poll)),
                    "push_websocket": r.run(
                        sales.paid(home / "d", args.paid_samples, push=True, poll=poll, sandbox_url=url)
                    ),
                    f"polling_{poll}s": r.run(sales.paid(home / "c", args.paid_samples, push=False, poll=poll)),
                }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
