"""A fast, scriptable stand-in for CheckoutController and the sandbox's customer side (view tests)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.checkout.errors import ChargeFailed, SaleInProgress
from app.checkout.events import CounterFree, EventBus, Notice, SaleChanged
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.qr.schemes import pix_dynamic


class FakeController:
    def __init__(self, currency: str = "BRL", delay: float = 0.0, duration_s: int = 300):
        self.currency = currency
        self.delay = delay
        self.duration_s = duration_s
        self.current: Sale | None = None
        self.bus = EventBus()
        self.calls: list[str] = []
        self.refuse: str | None = None

    def subscribe(self, listener):
        return self.bus.subscribe(listener)

    def _save(self, sale: Sale) -> Sale:
        self.current = sale
        self.bus.publish(SaleChanged(sale))
        return sale

    async def charge(self, amount, reference=""):
        self.calls.append(f"charge {amount}")
        money = amount if isinstance(amount, Money) else Money.parse(amount, self.currency)
        if self.current is not None and self.current.status.is_open:
            raise SaleInProgress("a sale is open: finish or cancel it first")
        sale = self._save(Sale.new(money, "fake", reference))
        await asyncio.sleep(self.delay)
        if self.refuse:
            self._save(sale.move(SaleStatus.FAILED, reason=self.refuse))
            self.current = None
            raise ChargeFailed(f"The provider refused the sale: {self.refuse}")
        payload = pix_dynamic(
            f"pix.example.com/qr/v2/{sale.sale_id}",
            merchant_name="TillQR Demo",
            merchant_city="Sao Paulo",
            amount=money,
        )
        return self._save(
            sale.move(
                SaleStatus.LINKED,
                request_id="req-" + sale.sale_id[:8],
                payload=payload,
                expires_at=utcnow() + timedelta(seconds=self.duration_s),
            )
        )

    async def cancel(self):
        self.calls.append("cancel")
        await asyncio.sleep(self.delay)
        if self.current is None or not self.current.status.is_open:
            return None
        return self.finish(SaleStatus.CANCELLED, reason="cancelled by the cashier")

    async def recover(self, cancel_open=False):
        self.calls.append("recover")
        return []

    async def aclose(self):
        pass

    # -- what the provider / watcher would report -------------------------------------------
    def finish(self, status: SaleStatus, **changes) -> Sale:
        sale = self.current
        assert sale is not None
        if status is SaleStatus.SETTLED:
            changes.setdefault("amount_received", sale.amount)
        sale = self._save(sale.move(status, **changes))
        sale = self._save(sale.with_(unlinked=True, closed_at=utcnow()))
        self.current = None
        self.bus.publish(CounterFree(sale))
        return sale

    def notice(self, level: str, message: str) -> None:
        self.bus.publish(Notice(level, message))


class FakeSandbox:
    def __init__(self, controller: FakeController):
        self.controller = controller
        self.paid: list[str] = []

    async def pay(self, payload: str, amount: str | None = None) -> dict:
        self.paid.append(payload)
        await asyncio.sleep(0)
        asyncio.get_running_loop().call_later(0.05, self.controller.finish, SaleStatus.SETTLED)
        return {"request_id": self.controller.current.request_id, "status": "processing"}


class FakeRuntime:
    def __init__(self, controller: FakeController, *, demo: bool = True, store_name: str = "Padaria Central"):
        self.controller = controller
        self.demo = demo
        self.store_name = store_name
        self.link = None
        self.sandbox = FakeSandbox(controller) if demo else None
        self.mode_text = "DEMO — sandbox (fake)"

    async def aclose(self):
        pass
