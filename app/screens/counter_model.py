"""CounterModel: everything the counter screen knows and decides, without Qt.

The view (app/ui/counter.py) forwards key presses, button clicks and controller
events here and repaints from the model's read-only views (``mode``,
``banner``, ``countdown`` …) whenever the model says it changed. All the rules
live here or in the Qt-free modules it composes, so they are tested without a
screen (tests/unit/test_counter_model.py, test_due_form.py):

- the amount being typed (``app.screens.amount_entry``); locked while a sale is
  open or a call is in flight;
- the optional due-date section (``app.screens.due_form``), only when the
  provider has ``Capability.DUE_DATE``: its terms go with the charge, and the
  breakdown of what the customer owes today is shown while typing and with the sale
  (these two, the reference and the words said: the base class, ``app.screens.counter_input``);
- what the banner says (``app.screens.counter_banner``): partial payments never
  read PAID, over-payments are flagged for refund; the countdown and the words where the QR goes too;
- which sale the screen shows (events can arrive out of order; a newer snapshot
  of the same sale wins, another sale only replaces a finished one);
- what may be pressed now (no double charge, no cancel without an open sale);
- the commands: ``charge``, ``cancel``, ``simulate_payment``, ``recover`` await the controller
  (and the sandbox's customer side in demo mode) through the screen's operation runner
  (``app.screens.operations``): busy while awaited, failures in words, a second press while a
  sale is being created answered at once ("A sale is being started; wait for its QR."), never queued
  (their words: ``app.screens.counter_words``);
- the controller's events arrive by one route, ``on_event`` (app.ui.bridge delivers them).

Nothing here depends on the provider's name or on a static payment link: the QR
is the sale's own payload, and the demo's customer pays the link when the till
has one (``link_payload``), else that payload.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.checkout.events import CounterFree, Event, Notice, SaleChanged
from app.domain.sale import Sale, SaleStatus, utcnow
from app.i18n import _
from app.providers.base import Capability

from . import counter_banner
from .counter_banner import Banner, Mode, idle_banner, mode_of, sale_banner
from .counter_expiry import can_reissue, reissued_text, seconds_left, warning_text
from .counter_input import CounterInput
from .counter_standing import Standings
from .counter_words import (
    CANCEL,
    CHARGE,
    MORE_TIME,
    PAY,
    RECOVER,
    Standing,
    banner_says,
    recovery_report,
)
from .operations import Busy, Level, Outcome

__all__ = ["Banner", "CounterModel", "Mode"]

_PAYABLE = frozenset({SaleStatus.LINKED, SaleStatus.PROCESSING})


class CounterModel(CounterInput):
    """The state of one counter screen. ``controller`` is a CheckoutController (or a fake).

    ``sandbox`` (demo mode only) has ``async pay(payload, amount=None)``; ``link_payload``
    is the static sticker's text when the provider links requests to a payment link.
    """

    def __init__(
        self,
        controller: Any,
        *,
        demo: bool = False,
        sandbox: Any = None,
        link_payload: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        super().__init__(controller.currency, getattr(controller, "capabilities", Capability.NONE), clock)
        self.controller = controller
        self.demo = demo
        self.sandbox = sandbox
        self.link_payload = link_payload
        self.sale = controller.current
        self._ended_listeners: list[Callable[[Sale], object]] = []  # the shown sale ended (sounds, last sales)
        self.standings = Standings(self.changed)  # conditions said above the banner while they hold

    # -- observers (``on_change``: CounterInput's) -------------------------------------------
    def on_sale_ended(self, listener: Callable[[Sale], object]) -> None:
        """``listener(sale)`` once for each sale this screen showed open and then saw end (paid, expired,
        failed, cancelled); not for sales that ended off the counter (recovery, a refund)."""
        self._ended_listeners.append(listener)

    def on_event(self, event: Event) -> None:
        """The one entry for the controller's events (delivered by app.ui.bridge on the GUI thread)."""
        if isinstance(event, SaleChanged):
            self.sale_changed(event.sale)
        elif isinstance(event, CounterFree):
            self.counter_free(event.last)
        elif isinstance(event, Notice):
            self.notice(event.level, event.message)

    # -- what stands above the banner (app.screens.counter_standing) ---------------------------
    def set_standing(self, kind: Standing, text: str) -> None:
        """Say ``text`` above the banner until it is set again ("" removes it)."""
        self.standings.set(kind, text)

    @property
    def standing(self) -> str:
        """What stands above the banner now ("" when nothing does)."""
        return self.standings.text

    # -- what the screen shows ------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        return mode_of(self.sale)

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
        if self.sale is None:
            return idle_banner(self.busy)
        return sale_banner(self.sale, self.owed(self.sale), self.busy)

    @property
    def panel_hint(self) -> str:
        """The words where the QR goes when there is no QR to show."""
        return counter_banner.panel_hint(self.sale, self.show_qr)

    @property
    def sale_caption(self) -> tuple[str, str]:
        """(amount, reference) under the QR: ("BRL 12.50", "Table 4"); for a due-date charge the
        amount due today (its breakdown is shown with it)."""
        if self.sale is None:
            return "", ""
        return self.owed(self.sale).display(), self.sale.reference

    def countdown(self, now: datetime | None = None) -> str:
        """Time left until the open sale's request expires: "4:59", "2:04:59", "37 days 4 h" (a due-date
        charge stays payable for weeks); "" when nothing is counting down."""
        return counter_banner.countdown(self.sale, now or self.clock())

    @property
    def can_charge(self) -> bool:
        return self.busy is None and not self.sale_open and bool(self.entry)

    @property
    def can_cancel(self) -> bool:
        return (
            self.busy is None
            and self.sale_open
            and self.sale is not None
            and self.sale.status is not SaleStatus.PENDING
        )

    # -- the warning before the sale expires, and "More time" (app.screens.counter_expiry) --------
    def expiry_warning(self, now: datetime | None = None) -> str:
        """ "Expires in 0:25 — More time?" in the sale's last seconds; "" before (and when nothing waits)."""
        left = seconds_left(self.sale, now or self.clock())
        return "" if left is None else warning_text(left, self.can_more_time)

    @property
    def can_more_time(self) -> bool:
        """ "More time" is offered now (a waiting sale the provider can cancel and the till charge again)."""
        capabilities = getattr(self.controller, "capabilities", Capability.NONE)
        sale = self.sale
        return self.busy is None and can_reissue(
            sale, cancels=Capability.CANCEL in capabilities, due_date=sale is not None and sale.sale_id in self._terms
        )

    @property
    def can_simulate(self) -> bool:
        return self.demo and self.sandbox is not None and self.busy is None and self.show_qr

    # -- events from the controller ------------------------------------------------------
    def sale_changed(self, sale: Sale) -> None:
        current = self.sale
        if current is None and sale.sale_id == self._dismissed:
            return  # a late snapshot of the sale the cashier has moved on from
        if current is not None:
            if sale.sale_id == current.sale_id:
                if sale.updated_at < current.updated_at:
                    return  # an older snapshot arriving late
            elif current.status.is_open:
                return  # another sale (recovery asking about an old one) must never hide the open one
            elif not sale.status.is_open:
                # An earlier sale ended off the counter (found by recovery, refunded from the Journal):
                # said in words; the counter keeps showing the last sale the cashier rang up.
                said = (
                    _("An earlier sale of {amount} is now {status}: {reason}.")
                    if sale.reason
                    else _("An earlier sale of {amount} is now {status}.")
                )
                self._say(
                    said.format(amount=sale.amount.display(), status=sale.status.label.lower(), reason=sale.reason),
                    Level.WARNING if sale.status == SaleStatus.SETTLED and sale.received.minor else Level.INFO,
                )
                return
        ended = current is not None and current.sale_id == sale.sale_id and current.status.is_open
        self.sale = sale
        self.changed()
        if ended and not sale.status.is_open:
            for listener in list(self._ended_listeners):
                listener(sale)

    def counter_free(self, last: Sale | None) -> None:
        if last is not None:
            self.sale_changed(last)
        else:
            self.changed()

    def notice(self, level: str, message: str) -> None:
        """A controller notice, in words; one about money to give back only when the banner's note
        does not already say it (same amount, also to refund)."""
        if not banner_says(self.banner.note, message):
            self._say(message, Level(level))

    # -- commands (each through the screen's one operation runner, app.screens.operations) ----
    async def charge(self, reference: str | None = None) -> Sale | None:
        """Charge the typed amount (with ``reference``, by default the one typed in), and the
        due-date terms when that section is open; anything wrong is said, nothing typed is lost.
        A press while a charge is still being created is answered at once, never queued."""
        if self.ops.refuse(Busy.CHARGE) or self.sale_open:
            return None
        problem = self.validate()
        check = self.due_check()
        if problem is None and check is not None and check.problems:
            problem = check.problems[0]
        if problem:
            self._say(problem, Level.ERROR)
            return None
        due = check.terms if check is not None else None
        reference = (self.reference if reference is None else reference).strip()
        entry = self.entry

        async def charged() -> Sale:
            """The charge, and the screen made ready for the next sale before the press ends (a screen that
            sees the press over sees the sale's breakdown and an empty entry, never the moment between)."""
            if due is not None:
                sale = await self.controller.charge(entry, reference, due=due)
            else:
                sale = await self.controller.charge(entry, reference)
            self._terms = {sale.sale_id: due} if due is not None else {}
            if due is not None and self.due is not None:
                self.due.reset()
            self.amount.clear()
            self.reference = ""
            self.sale_changed(sale)
            return sale

        outcome: Outcome[Sale] = await self.ops.run(Busy.CHARGE, charged(), CHARGE)
        return outcome.value if outcome.ok else None

    async def cancel(self) -> Sale | None:
        if self.ops.refuse(Busy.CANCEL) or not self.can_cancel:
            return None
        outcome: Outcome[Sale | None] = await self.ops.run(Busy.CANCEL, self.controller.cancel(), CANCEL)
        if outcome.value is not None:
            self.sale_changed(outcome.value)
        return outcome.value

    async def more_time(self) -> Sale | None:
        """More time for the waiting sale: its request cancelled and the same amount charged again (the
        controller's ``more_time``); the new sale, or the old one when it was paid meanwhile."""
        if self.ops.refuse(Busy.MORE_TIME) or not self.can_more_time:
            return None
        outcome: Outcome[Sale] = await self.ops.run(Busy.MORE_TIME, self.controller.more_time(), MORE_TIME)
        sale = outcome.value
        if outcome.ok and sale is not None:
            self.sale_changed(sale)
            if sale.status.is_open:
                self._say(reissued_text(sale, bool(self.link_payload)), Level.INFO)
        return sale

    async def simulate_payment(self, amount: str | None = None) -> dict | None:
        """Demo mode: pay what the customer would scan (``amount``: part of it), through the
        sandbox's customer side. The banner changes when the controller sees it, not from this answer.
        """
        if self.ops.refuse(Busy.PAY) or not self.can_simulate or self.sale is None:
            return None
        payload = self.link_payload or self.sale.payload
        outcome: Outcome[dict] = await self.ops.run(Busy.PAY, self.sandbox.pay(payload, amount), PAY)
        return outcome.value

    async def recover(self) -> list[Any]:
        """Finish the sales the journal left open (start-up); the sales arrive as events, a summary as words."""
        outcome: Outcome[list[Any]] = await self.ops.run(
            Busy.RECOVER, self.controller.recover(), RECOVER, level=Level.WARNING
        )
        ok, found = outcome.ok, list(outcome.value or [])
        terms, current = getattr(self.controller, "due_terms", None), getattr(self.controller, "current", None)
        if terms is not None and current is not None:  # a due-date sale resumed: show what is owed today
            self._terms = {current.sale_id: terms}
            self.changed()
        report = recovery_report(found) if ok else None
        if report is not None:
            self._say(*report)
        return found
