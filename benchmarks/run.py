"""TillQR benchmarks: prints one JSON object of measured figures.

    make bench                     (or: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/run.py)
    python benchmarks/run.py --sales 1000 --paid-samples 40

Figures (all against the in-process sandbox, on the offscreen Qt platform, real SQLite with fsync):
- charge_to_qr_painted_ms: controller.charge() called → the QR widget has painted that sale's payload
  (app overhead: journal writes, the provider calls over the ASGI transport, Qt layout and paint); p50/p95.
- payment_to_paid_painted_ms: the customer's pay call returns → the status banner has painted PAID;
  p50/p95, by push (status events wake the watcher) and by polling alone (the configured 1 s interval).
- cold_start_to_counter_ms: `python -m app --demo` spawned → the counter is shown and interactive
  (the app prints a ready line when TILLQR_EXIT_WHEN_READY=1 and exits); best of N.
- rss_mb: resident memory at start, after 200 and after all sales (a leak shows as growth).
Nothing is asserted here: the machines are shared and noisy, so figures are read, not enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
from PySide6.QtWidgets import QApplication, QWidget

from app.runtime import open_runtime
from app.ui.app import apply_style, compose
from app.ui.qr_widget import QrWidget
from app.ui.qtloop import TillEventLoop
from app.ui.status_banner import StatusBanner

PAINTS: dict[str, list] = {"qr": [], "banner": []}


def _hook_paints() -> None:
    qr_paint, banner_paint = QrWidget.paintEvent, QWidget.paintEvent

    def qr(self, event):
        qr_paint(self, event)
        PAINTS["qr"].append((time.perf_counter(), self.payload()))

    def banner(self, event):
        banner_paint(self, event)
        PAINTS["banner"].append((time.perf_counter(), self.title.text()))

    QrWidget.paintEvent = qr
    StatusBanner.paintEvent = banner


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)


def summary(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "p50": pct(samples, 50),
        "p95": pct(samples, 95),
        "mean": round(statistics.fmean(samples), 2),
        "max": round(max(samples), 2),
    }


async def _until(pred, timeout: float = 30.0) -> float:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        hit = pred()
        if hit:
            return hit
        await asyncio.sleep(0.001)
    raise TimeoutError("benchmark step timed out")


def _painted(kind: str, since: int, match) -> float | None:
    for t, what in PAINTS[kind][since:]:
        if match(what):
            return t
    return None


async def _window(home: Path, poll: float, size=(1280, 800)):
    rt = await open_runtime(demo=True, home=home, poll_interval=poll)
    win = compose(rt)
    win.resize(*size)
    win.show()
    return rt, win


async def bench_charge_and_rss(home: Path, sales: int) -> dict:
    proc = psutil.Process()
    rt, win = await _window(home, poll=0.02)
    rss = {"start": proc.memory_info().rss}
    samples = []
    try:
        for n in range(sales):
            mark = len(PAINTS["qr"])
            t0 = time.perf_counter()
            sale = await rt.controller.charge(f"{1 + n % 97}.{n % 100:02d}")
            t1 = await _until(lambda: _painted("qr", mark, lambda p: p == sale.payload))
            samples.append((t1 - t0) * 1000)
            await rt.sandbox.pay(rt.link.payload)
            await rt.controller.wait_closed(sale.sale_id, timeout=30)
            if n + 1 == 200:
                rss["after_200"] = proc.memory_info().rss
        rss["after_all"] = proc.memory_info().rss
    finally:
        win.close()
        await rt.aclose()
    return {
        "charge_to_qr_painted_ms": summary(samples),
        "rss_mb": {k: round(v / 2**20, 1) for k, v in rss.items()},
        "sales": sales,
    }


async def bench_paid(home: Path, samples_wanted: int, *, push: bool) -> dict:
    """Payment → PAID painted, with status events (push) or by polling alone (the configured interval)."""
    rt, win = await _window(home, poll=rt_poll_default())
    if not push:
        rt.controller.hub = None  # the watcher then polls at the configured interval, as without push
    else:
        await _until(lambda: rt.hub.connected, timeout=10)
    samples = []
    try:
        for n in range(samples_wanted):
            sale = await rt.controller.charge(f"{2 + n}.00")
            await asyncio.sleep(0.05 + (n % 10) / 10)  # pay at a different phase of the poll cycle each time
            mark = len(PAINTS["banner"])
            t0 = time.perf_counter()
            await rt.sandbox.pay(rt.link.payload)
            t1 = await _until(lambda: _painted("banner", mark, lambda text: "PAID" in text))
            samples.append((t1 - t0) * 1000)
            await rt.controller.wait_closed(sale.sale_id, timeout=30)
    finally:
        win.close()
        await rt.aclose()
    key = "push" if push else "polling"
    return {key: {"interval_s": rt_poll_default(), **summary(samples)} if not push else summary(samples)}


async def bench_paid_over_websocket(home: Path, samples_wanted: int) -> dict:
    """The same, against `tillqr sandbox` on 127.0.0.1: events over its real websocket."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        proc.stdout.readline()
        os.environ["TILLQR_SANDBOX_URL"] = f"http://127.0.0.1:{port}"
        result = await bench_paid(home, samples_wanted, push=True)
        return {"push_websocket": result["push"]}
    finally:
        os.environ.pop("TILLQR_SANDBOX_URL", None)
        proc.terminate()
        proc.wait(10)


def rt_poll_default() -> float:
    from app.config.settings import Settings

    return Settings().poll_interval


def bench_cold_start(runs: int) -> dict:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, TILLQR_HOME=home, TILLQR_EXIT_WHEN_READY="1", QT_QPA_PLATFORM="offscreen")
            t0 = time.perf_counter()
            try:
                out = subprocess.run(
                    [sys.executable, "-m", "app", "--demo"], capture_output=True, text=True, env=env, timeout=60
                )
            except subprocess.TimeoutExpired:
                return {"cold_start_to_counter_ms": {"error": "the GUI did not report ready within 60 s"}}
            if "ready" not in out.stdout:
                return {"cold_start_to_counter_ms": {"error": (out.stderr or out.stdout)[-300:]}}
            times.append((time.perf_counter() - t0) * 1000)
    return {
        "cold_start_to_counter_ms": {
            "runs": runs,
            "best": round(min(times), 1),
            "median": round(statistics.median(times), 1),
        }
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=1000, help="sales for charge→QR and RSS (≥ 200)")
    ap.add_argument("--paid-samples", type=int, default=40)
    ap.add_argument("--cold-runs", type=int, default=3)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # closing one benchmark's window must not stop the loop
    apply_style(app)
    _hook_paints()
    result: dict = {
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count(), "platform": app.platformName()}
    }
    with tempfile.TemporaryDirectory() as tmp, asyncio.Runner(loop_factory=lambda: TillEventLoop(app)) as r:
        result.update(r.run(bench_charge_and_rss(Path(tmp) / "a", args.sales)))
        paid = r.run(bench_paid(Path(tmp) / "b", args.paid_samples, push=True))
        paid.update(r.run(bench_paid(Path(tmp) / "c", args.paid_samples, push=False)))
        paid.update(r.run(bench_paid_over_websocket(Path(tmp) / "d", args.paid_samples)))
        result["payment_to_paid_painted_ms"] = paid
    if args.cold_runs:
        result.update(bench_cold_start(args.cold_runs))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
