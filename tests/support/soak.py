"""The fault soak: many sales through the real CheckoutController while the sandbox answers 5xx, holds answers past
the client's timeout and adds latency; each sale paid by the customer through ``/_sandbox/pay`` (the printed static
QR). Then the provider's truth is compared with the journal: no duplicate request for a sale, no sale left open,
every settled sale paid exactly once.

The sandbox runs in this process (httpx's ASGI transport) with client timeouts short enough that a held answer
costs about a second, not the production eight. Used by tests/reliability/test_fault_soak.py (a few sales) and
benchmarks/fault_soak.py (1,000).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.checkout.controller import CheckoutController
from app.checkout.errors import CheckoutError
from app.domain.sale import SaleStatus
from app.providers.base import ProviderError, linking
from app.providers.http import HttpTimeouts
from app.providers.registry import BY_NAME
from app.sandbox.server import create_app
from app.storage.journal import Journal

BASE = "http://sandbox.invalid"
FAULTS = {"latency_ms": 300, "error_rate": 0.2, "timeout_rate": 0.1, "seed": 7}
SHORT = HttpTimeouts(connect=1.0, read=1.0, attempt=1.2, deadline=10.0)


@dataclass
class SoakFigures:
    sales: int = 0
    charge_refused: int = 0  # the till could not start the sale (told the cashier; nothing charged)
    final: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # requests at the provider the journal does not know (a second one for a sale, or lost)
    stuck_open: int = 0
    settled_not_once: int = 0  # settled sales the provider did not take exactly once, in full
    unknown_payments: int = 0  # money taken by the provider for a request the journal does not know
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "sales": self.sales,
            "charge_refused": self.charge_refused,
            "final": dict(self.final),
            "duplicates": self.duplicates,
            "stuck_open": self.stuck_open,
            "settled_not_once": self.settled_not_once,
            "unknown_payments": self.unknown_payments,
            "seconds": round(self.seconds, 1),
            "faults": FAULTS,
        }


async def soak(home: Path, n: int, provider: str = "jpmorgan", seed: int = 7) -> SoakFigures:
    spec = BY_NAME[provider]
    app = create_app(modules=(spec.sandbox_module,))
    transport = httpx.ASGITransport(app=app)
    prov = spec.create(
        base_url=f"{BASE}/{spec.name}", credentials=spec.demo_credentials(), transport=transport, timeout=SHORT
    )
    sandbox = httpx.AsyncClient(transport=transport, base_url=BASE, timeout=30)
    journal = Journal(home / "journal.sqlite3")
    figures = SoakFigures()
    rng = random.Random(seed)
    started = time.perf_counter()
    link = await linking(prov).create_link("soak-counter", "soak") if spec.name == "jpmorgan" else None
    controller = CheckoutController(
        prov,
        journal,
        link_id=link.link_id if link else None,
        currency=prov.currencies[0],
        duration_s=120,
        poll_interval=0.2,
    )
    try:
        (await sandbox.post("/_sandbox/faults", json=FAULTS | {"seed": seed})).raise_for_status()
        for _ in range(n):
            figures.sales += 1
            amount = f"{rng.randint(100, 5000) / 100:.2f}"
            try:
                sale = await controller.charge(amount)
            except (CheckoutError, ProviderError):
                figures.charge_refused += 1
                await controller.recover()
                continue
            scanned = link.payload if link else sale.payload
            for _attempt in range(3):  # the customer's app retries a payment the bank did not confirm
                paid = await sandbox.post("/_sandbox/pay", json={"payload": scanned})
                if paid.status_code in (200, 409):
                    break
            try:
                await controller.wait_closed(sale.sale_id, timeout=60)
            except TimeoutError:
                pass  # counted below as stuck if recovery cannot close it either
        (await sandbox.delete("/_sandbox/faults")).raise_for_status()
        await controller.recover(cancel_open=True)
        sales = await journal.list_sales(limit=None)
        state = (await sandbox.get("/_sandbox/state")).json()
    finally:
        await controller.aclose()
        await prov.aclose()
        await sandbox.aclose()
        await journal.aclose()
    figures.seconds = time.perf_counter() - started
    requests = {r["id"]: r for r in state["requests"]}
    known = {s.request_id for s in sales if s.request_id}
    for s in sales:
        figures.final[s.status.value] += 1
        if s.status.is_open or not s.closed:
            figures.stuck_open += 1
        if s.status is SaleStatus.SETTLED:
            req = requests.get(s.request_id or "")
            if req is None or req["amount_paid"] != str(s.amount):
                figures.settled_not_once += 1
    extra = [r for r in state["requests"] if r["id"] not in known]  # a second request for a sale, or a lost one
    figures.duplicates = len(extra)
    figures.unknown_payments = sum(1 for r in extra if r["amount_paid"] not in ("0", "0.00"))
    return figures
