"""CustomerDisplayModel: what the customer's own screen shows, without Qt (drawn by app/ui/customer_display.py).

It follows the counter by the same route as the counter's model: the controller's events, delivered by
app.ui.bridge to ``on_event``. So it only ever shows what a sale carries once the controller has created it
(amount, QR payload, expiry): nothing the cashier types, nothing about who is signed in. Its faces:

- IDLE between sales: the store's name and the static sticker's QR when the provider links requests to a
  payment link (``static_payload``), else the configured ``idle_message`` (default: a welcome);
- WAITING while the sale is open: the store's name, the amount large, the sale's QR once linked ("One
  moment…" before), the countdown to the request's ``expires_at`` (the injected ``clock``), a part payment
  in words;
- PAID / EXPIRED / CANCELLED / FAILED in large type and colour for ``result_seconds``, then IDLE again (a new
  sale started meanwhile replaces it at once).

"More time" (app.checkout.reissue) cancels the waiting sale with ``reissue.REASON`` and charges the same
amount as a new sale: the customer sees no CANCELLED, only "One moment…" until the new QR is linked. Sales
that end off the counter (recovery of an old sale, a refund in the Journal) never reach the screen.

``look(now)`` is the whole picture at ``now``: a pure function of the events seen and the clock, so the view
ticks once a second and tests move the clock instead of waiting. The amount's text comes from one function,
``amount_text`` (the counter's money format, so the two screens always agree).

``place`` decides where the window goes (Qt-free; the view feeds it ``QGuiApplication.screens()``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from app.checkout.events import CounterFree, Event, SaleChanged
from app.checkout.reissue import REASON as REISSUE_REASON
from app.config.settings import DisplayMode
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.i18n import LazyWords, _, lazy_

from .counter_banner import countdown
from .observed import Listeners

__all__ = ["COLOURS", "CustomerDisplayModel", "Face", "Look", "Placement", "ScreenBox", "amount_text", "place"]

DEFAULT_IDLE_MESSAGE = lazy_("Welcome")
HANDOVER_SECONDS = 60  # "One moment…" at most this long after "More time" cancelled the request


class Face(str, Enum):
    IDLE = "idle"
    WAITING = "waiting"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"


_RESULTS = {
    SaleStatus.SETTLED: Face.PAID,
    SaleStatus.EXPIRED: Face.EXPIRED,
    SaleStatus.CANCELLED: Face.CANCELLED,
    SaleStatus.FAILED: Face.FAILED,
}
_TITLES = LazyWords(
    {
        Face.PAID: lazy_("PAID"),
        Face.EXPIRED: lazy_("EXPIRED"),
        Face.CANCELLED: lazy_("CANCELLED"),
        Face.FAILED: lazy_("NOT PAID"),
    }
)
_DETAILS = LazyWords(
    {
        Face.PAID: lazy_("Thank you!"),
        Face.EXPIRED: lazy_("The time to pay has run out. Nothing was charged."),
        Face.CANCELLED: lazy_("The payment was cancelled. Nothing was charged."),
        Face.FAILED: lazy_("The payment did not go through. Please ask at the counter."),
    }
)
# (background, text) per face; every pair has a contrast of at least 4.5:1 (WCAG 2.2 AA), checked by
# tests/unit/test_customer_display_model.py; the title never relies on colour alone (it names the state)
COLOURS: dict[Face, tuple[str, str]] = {
    Face.IDLE: ("#ffffff", "#1f2933"),
    Face.WAITING: ("#ffffff", "#1f2933"),
    Face.PAID: ("#0b6b2f", "#ffffff"),
    Face.EXPIRED: ("#8a4b00", "#ffffff"),
    Face.CANCELLED: ("#3e4c59", "#ffffff"),
    Face.FAILED: ("#a3001b", "#ffffff"),
}


def amount_text(money: Money) -> str:
    """The amount as the customer reads it: the counter's money format (one place, so a locale's format
    reaches both screens at once)."""
    return money.display()


@dataclass(frozen=True)
class Look:
    """The customer's screen at one moment."""

    face: Face
    store_name: str
    title: str = ""  # large: "Scan to pay", "PAID" …; the idle message when idle
    amount: str = ""  # large: "BRL 12.50"; "" when idle
    payload: str | None = None  # the QR to paint (the sale's, or the static sticker's when idle)
    countdown: str = ""  # "4:59" while the request waits
    detail: str = ""  # a line under the title: the idle message, "Received …", "Thank you!"

    @property
    def colours(self) -> tuple[str, str]:
        """(background, text) for this face."""
        return COLOURS[self.face]


class CustomerDisplayModel:
    """The customer's screen of one till. ``on_change`` listeners hear every event that changed the look."""

    def __init__(
        self,
        store_name: str,
        *,
        static_payload: str | None = None,
        idle_message: str = "",
        result_seconds: float = 5,
        clock: Callable[[], datetime] = utcnow,
        current: Sale | None = None,
    ):
        self.store_name = store_name
        self.static_payload = static_payload or None
        self.idle_message = idle_message.strip()  # "" : the welcome, in the language in force
        self.result_for = timedelta(seconds=max(0.0, result_seconds))
        self.clock = clock
        self.sale: Sale | None = None  # the sale on screen (open, or its result while it lasts)
        self._until: datetime | None = None  # when the shown result (or a handover) gives way to IDLE
        self._retired = ""  # the last sale whose result has gone: its late snapshots stay away
        self._listeners = Listeners()
        if current is not None and current.status.is_open:
            self.sale = current

    # -- observers ------------------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def _changed(self) -> None:
        self._listeners()

    # -- events from the controller (app.ui.bridge) ---------------------------------------------
    def on_event(self, event: Event) -> None:
        if isinstance(event, SaleChanged):
            self.sale_changed(event.sale)
        elif isinstance(event, CounterFree) and event.last is not None:
            self.sale_changed(event.last)

    def sale_changed(self, sale: Sale) -> None:
        now = self.clock()
        self._expire(now)
        current = self.sale
        if current is not None and sale.sale_id == current.sale_id:
            if sale.updated_at < current.updated_at:
                return  # an older snapshot arriving late
            if not current.status.is_open:
                self.sale = sale  # a later snapshot of the result on screen: its timer runs on
                self._changed()
                return
        elif not sale.status.is_open:
            return  # a sale this screen never showed open: recovery, a refund, a late snapshot
        elif current is not None and current.status.is_open:
            return  # another sale (recovery asking about an old one) never hides the open one
        if sale.sale_id == self._retired:
            return
        ended = current is not None and current.sale_id == sale.sale_id and current.status.is_open
        self.sale = sale
        self._until = None
        if ended and not sale.status.is_open:
            handover = sale.reason == REISSUE_REASON
            self._until = now + (timedelta(seconds=HANDOVER_SECONDS) if handover else self.result_for)
        self._changed()

    def _expire(self, now: datetime) -> bool:
        """The shown result's time is up: back to IDLE. True when that happened now."""
        if self.sale is None or self._until is None or now < self._until:
            return False
        self._retired, self.sale, self._until = self.sale.sale_id, None, None
        return True

    def tick(self) -> bool:
        """Called by the view's clock: True when the look changed face (the result gave way to IDLE)."""
        if self._expire(self.clock()):
            self._changed()
            return True
        return False

    # -- what the screen shows -------------------------------------------------------------------
    @property
    def face(self) -> Face:
        return self.look().face

    def look(self, now: datetime | None = None) -> Look:
        now = now or self.clock()
        sale = self.sale
        if sale is None or (self._until is not None and now >= self._until):
            return self._idle()
        if sale.status.is_open or sale.reason == REISSUE_REASON:
            return self._waiting(sale, now)
        face = _RESULTS.get(sale.status)
        if face is None:  # refunded / returned while its result was showing: the screen moves on
            return self._idle()
        detail = _DETAILS[face]
        if face is not Face.PAID and sale.received.minor:
            detail = _("{amount} was received: it will be refunded at the counter.").format(
                amount=amount_text(sale.received)
            )
        return Look(face, self.store_name, _TITLES[face], amount_text(_owed(sale)), detail=detail)

    def _idle(self) -> Look:
        message = self.idle_message or str(DEFAULT_IDLE_MESSAGE)
        if self.static_payload:
            detail = _("Pay with this code once your amount is shown")
            return Look(Face.IDLE, self.store_name, message, payload=self.static_payload, detail=detail)
        return Look(Face.IDLE, self.store_name, message)

    def _waiting(self, sale: Sale, now: datetime) -> Look:
        owed = _owed(sale)
        linked = sale.status.is_open and sale.status is not SaleStatus.PENDING and bool(sale.payload)
        if not linked:
            return Look(
                Face.WAITING, self.store_name, _("One moment…"), amount_text(owed), detail=_("Preparing the code")
            )
        received = sale.received
        if sale.status is SaleStatus.PROCESSING:
            detail = _("Payment in progress…")
        elif received.minor and received.minor < owed.minor:
            left = Money(owed.minor - received.minor, owed.currency)
            detail = _("Received {received} · {left} still to pay").format(
                received=amount_text(received), left=amount_text(left)
            )
        else:
            detail = _("Scan the code with your banking app")
        return Look(
            Face.WAITING,
            self.store_name,
            _("Scan to pay"),
            amount_text(owed),
            sale.payload,
            countdown(sale, now),
            detail,
        )


def _owed(sale: Sale) -> Money:
    return sale.amount_due if sale.amount_due is not None else sale.amount


# -- where the window goes ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ScreenBox:
    """A screen as the placement sees it (from QScreen: name and geometry)."""

    name: str
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Placement:
    shown: bool
    screen: str = ""  # the screen's name
    full_screen: bool = False
    geometry: tuple[int, int, int, int] = (0, 0, 0, 0)  # x, y, width, height


WINDOW_SIZE = (960, 600)  # a window on the cashier's own screen (mode "window" with one screen)


def place(mode: DisplayMode, screens: Sequence[ScreenBox], cashier: str | None = None) -> Placement:
    """Where the customer display goes: full screen on a screen other than the cashier's when there is one
    (the first listed); with only the cashier's screen, a window on it in mode "window", hidden otherwise.
    ``cashier``: the name of the screen the main window is on (default: the first, Qt's primary)."""
    if mode is DisplayMode.OFF or not screens:
        return Placement(False)
    mine = next((s for s in screens if s.name == cashier), screens[0])
    other = next((s for s in screens if s is not mine), None)
    if other is not None:
        return Placement(True, other.name, True, (other.x, other.y, other.width, other.height))
    if mode is DisplayMode.AUTO:
        return Placement(False)
    width, height = min(WINDOW_SIZE[0], mine.width * 4 // 5), min(WINDOW_SIZE[1], mine.height * 4 // 5)
    x, y = mine.x + (mine.width - width) // 2, mine.y + (mine.height - height) // 2
    return Placement(True, mine.name, False, (x, y, width, height))
