"""Sales through the real counter window: charge → QR painted (with where the time goes), the till's memory
over many sales, payment → PAID painted. The window is composed as the GUI composes it, offscreen."""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtWidgets import QWidget

from app.runtime import Runtime, open_runtime
from app.ui.app import compose
from app.ui.qr_widget import QrWidget
from app.ui.status_banner import StatusBanner

# the last paint of each kind: (perf_counter when it ended, what it showed); constant memory over any run
LAST: dict[str, tuple[float, str | None]] = {"qr": (0.0, None), "banner": (0.0, None)}
# while a charge is timed: category → [(start, end)] of the work done in it
SPANS: dict[str, list[tuple[float, float]]] | None = None


def _span(kind: str, t0: float) -> None:
    if SPANS is not None:
        SPANS.setdefault(kind, []).append((t0, time.perf_counter()))


def hook_paints() -> None:
    """Note every QR and banner paint (and time the QR's matrix and paint)."""
    qr_paint, qr_set, banner_paint = QrWidget.paintEvent, QrWidget.set_payload, QWidget.paintEvent

    def qr(self: QrWidget, event: Any) -> None:
        t0 = time.perf_counter()
        qr_paint(self, event)
        _span("qt_paint_qr", t0)
        LAST["qr"] = (time.perf_counter(), self.payload())

    def qr_payload(self: QrWidget, payload: str | None) -> None:
        t0 = time.perf_counter()
        qr_set(self, payload)
        _span("qr_matrix", t0)

    def banner(self: StatusBanner, event: Any) -> None:
        banner_paint(self, event)
        LAST["banner"] = (time.perf_counter(), self.title.text())

    QrWidget.paintEvent = qr  # type: ignore[method-assign]
    QrWidget.set_payload = qr_payload  # type: ignore[method-assign]
    StatusBanner.paintEvent = banner  # type: ignore[method-assign]


def _time_coroutines(obj: object, kind: str, names: list[str]) -> None:
    """Wrap ``obj``'s coroutine methods ``names`` (on the instance) so their spans are noted as ``kind``."""
    for name in names:
        method = getattr(obj, name)

        def timed(*a: Any, _m: Callable[..., Any] = method, **kw: Any) -> Any:
            async def run() -> Any:
                t0 = time.perf_counter()
                try:
                    return await _m(*a, **kw)
                finally:
                    _span(kind, t0)

            return run()

        setattr(obj, name, timed)


def _union_ms(spans: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Milliseconds of [lo, hi] covered by ``spans`` (overlapping spans counted once)."""
    total, end = 0.0, lo
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in spans if a < hi and b > lo):
        if b > end:
            total += b - max(a, end)
            end = b
    return total * 1000


async def until(pred: Callable[[], bool], timeout: float = 30.0) -> None:
    end = time.perf_counter() + timeout
    while not pred():
        if time.perf_counter() > end:
            raise TimeoutError("benchmark step timed out")
        await asyncio.sleep(0.001)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50": pct(samples, 50),
        "p95": pct(samples, 95),
        "mean": round(statistics.fmean(samples), 2),
    }


@contextmanager
def sandbox_at(url: str | None) -> Iterator[None]:
    """Demo mode on the sandbox at ``url`` (another process), or on the embedded one when None."""
    before = os.environ.pop("TILLQR_SANDBOX_URL", None)
    if url:
        os.environ["TILLQR_SANDBOX_URL"] = url
    try:
        yield
    finally:
        os.environ.pop("TILLQR_SANDBOX_URL", None)
        if before is not None:
            os.environ["TILLQR_SANDBOX_URL"] = before


async def _window(home: Path, poll: float) -> tuple[Runtime, QWidget]:
    rt = await open_runtime(demo=True, home=home, poll_interval=poll)
    win = compose(rt, pages_on_demand=True)  # as run_gui composes it: Journal and Settings when first opened
    win.resize(1280, 800)
    win.show()
    return rt, win


async def _one_sale(rt: Runtime, n: int) -> float:
    """Charge, wait for its QR to be painted, pay it, wait until it closed; returns charge → painted in ms."""
    t0 = time.perf_counter()
    sale = await rt.controller.charge(f"{1 + n % 97}.{n % 100:02d}")
    await until(lambda: LAST["qr"][1] == sale.payload and LAST["qr"][0] > t0)
    painted = LAST["qr"][0]
    assert rt.sandbox is not None and rt.link is not None
    await rt.sandbox.pay(rt.link.payload)
    await rt.controller.wait_closed(sale.sale_id, timeout=30)
    return (painted - t0) * 1000


async def charge_to_qr(home: Path, sales: int) -> dict[str, Any]:
    """Charge → QR painted on the embedded sandbox, and where each charge's time went (medians)."""
    global SPANS
    rt, win = await _window(home, poll=0.02)
    _time_coroutines(rt.journal, "journal_sqlite_fsync", ["_run"])
    provider_calls = ["create_request", "link", "unlink", "get_request", "cancel_request"]
    _time_coroutines(rt.provider, "provider_calls_asgi", [n for n in provider_calls if hasattr(rt.provider, n)])
    samples: list[float] = []
    parts: dict[str, list[float]] = {}
    try:
        for n in range(sales):
            SPANS = {}
            t0 = time.perf_counter()
            total = await _one_sale(rt, n)
            t1 = t0 + total / 1000
            samples.append(total)
            covered = 0.0
            for kind, spans in SPANS.items():
                ms = _union_ms(spans, t0, t1)
                parts.setdefault(kind, []).append(ms)
                covered += ms
            parts.setdefault("rest_event_loop_signals_layout", []).append(max(0.0, total - covered))
            SPANS = None
    finally:
        SPANS = None
        win.close()
        await rt.aclose()
    return {
        **summary(samples),
        "where_the_time_goes_ms_median": {k: round(statistics.median(v), 2) for k, v in sorted(parts.items())},
    }


def _rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


async def memory(home: Path, sales: int, sandbox_url: str, every: int = 1000) -> dict[str, Any]:
    """The till's own RSS over ``sales`` sales, the sandbox in another process (its state is not ours)."""
    with sandbox_at(sandbox_url):
        rt, win = await _window(home, poll=0.05)
    rss: dict[str, float] = {"start": _rss_mb()}
    t_start = time.perf_counter()
    try:
        for n in range(sales):
            await _one_sale(rt, n)
            if (n + 1) % every == 0:
                gc.collect()
                rss[f"after_{n + 1}"] = _rss_mb()
    finally:
        win.close()
        await rt.aclose()
    return {"sales": sales, "seconds": round(time.perf_counter() - t_start, 1), "rss_mb": rss}


async def paid(home: Path, samples_wanted: int, *, push: bool, poll: float, sandbox_url: str | None = None) -> dict:
    """Payment → PAID painted, with status events (push) or by polling alone at ``poll`` seconds."""
    with sandbox_at(sandbox_url):
        rt, win = await _window(home, poll=poll)
    if not push:
        rt.controller.watch.hub = None  # the watcher then polls at the configured interval, as without push
    else:
        await until(lambda: rt.hub is not None and rt.hub.connected, timeout=10)
    samples = []
    try:
        for n in range(samples_wanted):
            sale = await rt.controller.charge(f"{2 + n}.00")
            await asyncio.sleep(0.05 + (n % 10) / 10)  # pay at a different phase of the poll cycle each time
            t0 = time.perf_counter()
            assert rt.sandbox is not None and rt.link is not None
            await rt.sandbox.pay(rt.link.payload)
            await until(lambda: LAST["banner"][0] > t0 and "PAID" in (LAST["banner"][1] or ""))
            samples.append((LAST["banner"][0] - t0) * 1000)
            await rt.controller.wait_closed(sale.sale_id, timeout=30)
    finally:
        win.close()
        await rt.aclose()
    return summary(samples)
