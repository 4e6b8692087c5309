"""CounterModel: everything the counter screen knows and decides, without Qt.

The view (app/ui/counter.py) forwards key presses, button clicks and controller
events here and repaints from the model's read-only views (``mode``,
``banner``, ``countdown`` …) whenever the model says it changed. All the rules
live here, so they are tested without a screen (tests/unit/test_counter_model.py):

- the amount being typed: digits and one decimal point, at most the currency's
  decimals, at most ``MAX_INTEGER_DIGITS`` before the point; locked while a sale
  is open or a call is in flight;
- which sale the screen shows (events can arrive out of order; a newer snapshot
  of the same sale wins, another sale only replaces a finished one);
- what may be pressed now (no double charge, no cancel without an open sale);
- the commands: ``charge``, ``cancel``, ``simulate_payment`` await the controller
  (and the sandbox's customer side in demo mode) and turn failures into words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Awaitable, Callable

from app.checkout.controller import CheckoutError
from app.domain.money import Money, MoneyError, minor_units
from app.domain.sale import Sale, SaleStatus, utcnow

log = logging.getLogger("tillqr.counter")

MAX_INTEGER_DIGITS = 7  # 1,000,000 is the largest sale Money accepts


class Mode(str, Enum):
    IDLE = "idle"
    WAITING = "waiting"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"
    REFUNDED = "refunded"


_MODES = {
    SaleStatus.SETTLED: Mode.PAID,
    SaleStatus.EXPIRED: Mode.EXPIRED,
    SaleStatus.CANCELLED: Mode.CANCELLED,
    SaleStatus.FAILED: Mode.FAILED,
    SaleStatus.REFUNDED: Mode.REFUNDED,
    SaleStatus.PARTIALLY_REFUNDED: Mode.REFUNDED,
}


_PAYABLE = frozenset({SaleStatus.LINKED, SaleStatus.PROCESSING})


@dataclass(frozen=True)
class Banner:
    mode: Mode
    title: str   # large: "PAID", "Waiting for payment" …
    detail: str  # one line under it


class CounterModel:
    """The state of one counter screen. ``controller`` is a CheckoutController (or a fake).

    ``sandbox`` (demo mode only) has ``async pay(payload, amount=None)``; ``link_payload``
    is the static sticker's text when the provider links requests to a payment link.
    """

    def __init__(self, controller: Any, *, demo: bool = False, sandbox: Any = None,
                 link_payload: str | None = None, clock: Callable[[], datetime] = utcnow):
        self.controller = controller
        self.currency: str = controller.currency
        self.decimals = minor_units(self.currency)
        self.demo = demo
        self.sandbox = sandbox
        self.link_payload = link_payload
        self.clock = clock
        self.entry = ""
        self.reference = ""
        self.sale: Sale | None = controller.current
        self.busy: str | None = None      # "charge", "cancel", "pay", "recover" while awaited
        self.message = ""
        self.message_level = "info"
        self._listeners: list[Callable[[], None]] = []

    # -- observers ------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    # -- typing the amount ----------------------------------------------------------------
    @property
    def entry_locked(self) -> bool:
        return self.busy is not None or self.sale_open

    def press(self, key: str) -> bool:
        """A key from the keypad or keyboard: "0"-"9", "00", "." (or ","), "back", "clear".

        Returns False (and changes nothing) when the key does not apply now.
        """
        if self.entry_locked:
            return False
        new = self._typed(self.entry, key)
        if new is None or new == self.entry:
            return False
        self.entry = new
        if self.message_level == "error":
            self.message = ""  # the cashier is fixing it
        self._changed()
        return True

    def _typed(self, text: str, key: str) -> str | None:
        if key == "back":
            return text[:-1]
        if key == "clear":
            return ""
        if key in (".", ","):
            if self.decimals == 0 or "." in text:
                return None
            return (text or "0") + "."
        if not key.isdigit() or not key.isascii():
            return None
        out = text
        for digit in key:
            if "." in out:
                if len(out.split(".")[1]) >= self.decimals:
                    return None
                out += digit
            elif out == "0":
                out = digit          # no leading zeros: "0" then "5" is "5"
            elif len(out) >= MAX_INTEGER_DIGITS:
                return None
            else:
                out += digit
        return out

    def set_reference(self, text: str) -> None:
        """The optional reference (table, order number) sent with the next charge."""
        self.reference = text

    @property
    def amount_text(self) -> str:
        """What the amount field shows: the typed text, or a greyed "0.00" hint when empty."""
        return self.entry or self.placeholder

    @property
    def placeholder(self) -> str:
        return "0" if self.decimals == 0 else "0." + "0" * self.decimals

    def validate(self) -> str | None:
        """The cashier-readable reason the typed amount cannot be charged, or None."""
        try:
            Money.parse(self.entry, self.currency)
        except MoneyError as exc:
            return _sentence(str(exc))
        return None

    # -- what the screen shows ------------------------------------------------------------
    @property
    def sale_open(self) -> bool:
        return self.sale is not None and self.sale.status.is_open

    @property
    def mode(self) -> Mode:
        if self.sale is None:
            return Mode.IDLE
        if self.sale.status.is_open:
            return Mode.WAITING
        return _MODES[self.sale.status]

    @property
    def show_qr(self) -> bool:
        """Only once the request is linked: before that, paying the static link would find nothing."""
        sale = self.sale
        return sale is not None and sale.status in _PAYABLE and bool(sale.payload)

    @property
    def qr_payload(self) -> str | None:
        return self.sale.payload if self.show_qr and self.sale else None

    @property
    def banner(self) -> Banner:
        sale, mode = self.sale, self.mode
        if sale is None:
            if self.busy == "recover":
                return Banner(mode, "Starting…", "Checking unfinished sales with the provider")
            if self.busy == "charge":
                return Banner(mode, "Starting…", "Creating the payment request")
            return Banner(mode, "Ready", "Type an amount and press Charge")
        amount = sale.amount.display()
        if mode is Mode.WAITING:
            if self.busy == "cancel":
                return Banner(mode, "Cancelling…", f"{amount}: asking the provider to cancel")
            if sale.status is SaleStatus.PENDING:
                return Banner(mode, "Starting…", f"Creating the payment request for {amount}")
            if sale.received.minor:
                return Banner(mode, sale.status.label, f"{sale.received.display()} of {amount} received")
            return Banner(mode, sale.status.label, f"Scan to pay {amount}")
        if mode is Mode.PAID:
            return Banner(mode, "PAID", f"{sale.received.display() if sale.received.minor else amount} received")
        if mode is Mode.EXPIRED:
            return Banner(mode, "Expired", f"{amount} was not paid in time. Nothing was charged.")
        if mode is Mode.CANCELLED:
            return Banner(mode, "Cancelled", f"{amount} cancelled. Nothing was charged.")
        if mode is Mode.FAILED:
            return Banner(mode, "Failed", _sentence(sale.reason) if sale.reason else f"{amount} could not be charged")
        return Banner(mode, sale.status.label, amount)

    @property
    def panel_hint(self) -> str:
        """The words where the QR goes when there is no QR to show."""
        if self.show_qr:
            return ""
        if self.sale is None:
            return "The QR code to scan appears here"
        if self.sale_open:
            return "Preparing the QR code…"
        return "Ready for the next sale: type an amount"

    @property
    def sale_caption(self) -> tuple[str, str]:
        """(amount, reference) under the QR: ("BRL 12.50", "Table 4")."""
        if self.sale is None:
            return "", ""
        return self.sale.amount.display(), self.sale.reference

    def countdown(self, now: datetime | None = None) -> str:
        """ "4:59" until the open sale's request expires; "" when nothing is counting down."""
        sale = self.sale
        if sale is None or not sale.status.is_open or sale.expires_at is None:
            return ""
        left = int((sale.expires_at - (now or self.clock())).total_seconds())
        left = max(0, left)
        return f"{left // 60}:{left % 60:02d}"

    @property
    def can_charge(self) -> bool:
        return self.busy is None and not self.sale_open and bool(self.entry)

    @property
    def can_cancel(self) -> bool:
        return self.busy is None and self.sale_open and self.sale is not None \
            and self.sale.status is not SaleStatus.PENDING

    @property
    def can_simulate(self) -> bool:
        return self.demo and self.sandbox is not None and self.busy is None and self.show_qr

    # -- events from the controller ------------------------------------------------------
    def sale_changed(self, sale: Sale) -> None:
        current = self.sale
        if current is not None:
            if sale.sale_id == current.sale_id:
                if sale.updated_at < current.updated_at:
                    return  # an older snapshot arriving late
            elif current.status.is_open and not sale.status.is_open:
                return  # another sale finishing (recovery) must not hide the open one
        self.sale = sale
        self._changed()

    def counter_free(self, last: Sale | None) -> None:
        if last is not None:
            self.sale_changed(last)
        else:
            self._changed()

    def notice(self, level: str, message: str) -> None:
        self._say(message, level)

    # -- commands -----------------------------------------------------------------------
    async def charge(self, reference: str | None = None) -> Sale | None:
        """Charge the typed amount (with ``reference``, by default the one typed in)."""
        if self.busy is not None or self.sale_open:
            return None
        problem = self.validate()
        if problem:
            self._say(problem, "error")
            return None
        reference = (self.reference if reference is None else reference).strip()
        ok, sale = await self._command("charge", self.controller.charge(self.entry, reference), "Could not charge")
        if ok:
            self.entry = self.reference = ""
            self.sale_changed(sale)
        return sale

    async def cancel(self) -> Sale | None:
        if not self.can_cancel:
            return None
        ok, sale = await self._command("cancel", self.controller.cancel(), "Could not cancel")
        if ok and sale is not None:
            self.sale_changed(sale)
        return sale

    async def simulate_payment(self) -> dict | None:
        """Demo mode: pay what the customer would scan, through the sandbox's customer side.

        The banner turns PAID when the controller sees the payment, not from this answer.
        """
        if not self.can_simulate or self.sale is None:
            return None
        payload = self.link_payload or self.sale.payload
        _, answer = await self._command("pay", self.sandbox.pay(payload), "Simulated payment did not go through")
        return answer

    async def recover(self) -> list[Any]:
        """Finish the sales the journal left open (start-up); the sales arrive as events, a summary as words."""
        ok, found = await self._command("recover", self.controller.recover(), "Could not check unfinished sales",
                                        level="warning")
        found = list(found or [])
        sales = [f"{r.sale.amount.display()} {r.sale.status.label.lower()}" for r in found if hasattr(r, "sale")]
        if ok and sales:
            self._say(f"Unfinished sales from the last run, checked with the provider: {', '.join(sales)}.", "info")
        return found

    async def _command(self, action: str, call: Awaitable[Any], failed: str, level: str = "error") -> tuple[bool, Any]:
        """Await one call with ``busy`` set; a failure becomes a message in words, never a frozen screen."""
        self.busy, self.message = action, ""
        self._changed()
        try:
            return True, await call
        except (MoneyError, CheckoutError) as exc:  # meant for the cashier as they are
            self.message, self.message_level = _sentence(str(exc)), level
        except Exception as exc:  # noqa: BLE001 - anything else, still in words
            log.exception("%s failed", action)
            self.message, self.message_level = f"{failed}: {exc}", level
        finally:
            self.busy = None
            self._changed()
        return False, None

    def _say(self, message: str, level: str) -> None:
        self.message, self.message_level = message, level
        self._changed()


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text
