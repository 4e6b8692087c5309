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
  breakdown of what the customer owes today is shown while typing and with the sale;
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
from datetime import date, datetime
from typing import Any

from app.checkout.events import CounterFree, Event, Notice, SaleChanged
from app.domain.duedate import local_date
from app.domain.dueterms import DueTerms
from app.domain.money import Money, MoneyError
from app.domain.sale import Sale, SaleStatus, utcnow
from app.i18n import _, format_date
from app.providers.base import Capability

from . import counter_banner
from .amount_entry import AmountEntry
from .counter_banner import Banner, Mode, idle_banner, mode_of, sale_banner
from .counter_expiry import can_reissue, reissued_text, seconds_left, warning_text
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
    while_busy,
)
from .due_form import DueCheck, DueForm, owed_today, summary
from .observed import Listeners
from .operations import Busy, Level, Operations, Outcome

__all__ = ["Banner", "CounterModel", "Mode"]

_PAYABLE = frozenset({SaleStatus.LINKED, SaleStatus.PROCESSING})


class CounterModel:
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
        self.controller = controller
        self.currency: str = controller.currency
        self.amount = AmountEntry(self.currency)
        self.decimals = self.amount.decimals
        self.demo = demo
        self.sandbox = sandbox
        self.link_payload = link_payload
        self.clock = clock
        self.reference = ""
        self.sale: Sale | None = controller.current
        self.message = ""
        self.message_level: str = Level.INFO
        self._amount_refusal = ""  # the amount field's last refusal, said until the amount is typed again
        self.ops = Operations(self, while_busy)  # every command runs through it: busy, words, result
        self._listeners = Listeners()
        self._ended_listeners: list[Callable[[Sale], object]] = []  # the shown sale ended (sounds, last sales)
        capabilities = getattr(controller, "capabilities", Capability.NONE)
        self.due: DueForm | None = None
        if Capability.DUE_DATE in capabilities:
            self.due = DueForm(
                self.currency, today=self.today, changed=self._due_edited, locked=lambda: self.entry_locked
            )
        self.due_open = False
        self._terms: dict[str, DueTerms] = {}  # the due terms of sales charged from this screen
        self.standings = Standings(self.changed)  # conditions said above the banner while they hold
        self._dismissed = ""  # the finished sale the cashier typed past (its late snapshots stay away)

    # -- observers ------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """``listener()`` after each change; returns what stops it (a view gone before a press's task ends)."""
        return self._listeners.add(listener)

    def changed(self) -> None:
        self._listeners()

    def on_sale_ended(self, listener: Callable[[Sale], object]) -> None:
        """``listener(sale)`` once for each sale this screen showed open and then saw end (paid, expired,
        failed, cancelled); not for sales that ended off the counter (recovery, a refund)."""
        self._ended_listeners.append(listener)

    @property
    def busy(self) -> Busy | None:
        """What the screen is waiting for (the view disables and words its buttons meanwhile)."""
        return self.ops.busy

    def on_event(self, event: Event) -> None:
        """The one entry for the controller's events (delivered by app.ui.bridge on the GUI thread)."""
        if isinstance(event, SaleChanged):
            self.sale_changed(event.sale)
        elif isinstance(event, CounterFree):
            self.counter_free(event.last)
        elif isinstance(event, Notice):
            self.notice(event.level, event.message)

    def today(self) -> date:
        """The calendar day due dates are written in (Brasília, where Pix due dates live)."""
        return local_date(self.clock())

    # -- what stands above the banner (app.screens.counter_standing) ---------------------------
    def set_standing(self, kind: Standing, text: str) -> None:
        """Say ``text`` above the banner until it is set again ("" removes it)."""
        self.standings.set(kind, text)

    @property
    def standing(self) -> str:
        """What stands above the banner now ("" when nothing does)."""
        return self.standings.text

    # -- typing the amount ----------------------------------------------------------------
    @property
    def entry(self) -> str:
        return self.amount.text

    @property
    def entry_locked(self) -> bool:
        return self.busy is not None or self.sale_open

    def press(self, key: str) -> bool:
        """A key from the keypad or keyboard: "0"-"9", "00", "." (or ","), "back", "clear".

        Returns False (and changes nothing) when the key does not apply now.
        """
        if self.entry_locked:
            return False
        if not self.amount.press(key):
            if self.amount.refusal:
                self._refused(self.amount.refusal)
            return False
        self._next_sale()
        self._fixing()
        self.changed()
        return True

    def paste(self, text: str) -> bool:
        """Pasted text as the whole amount ("1.234,56" or "12.50" as the store writes numbers); refused in
        words, with what was typed kept, when it is not an amount this till can charge."""
        if self.entry_locked:
            return False
        if not self.amount.paste(text):
            self._refused(self.amount.refusal)
            return False
        self._next_sale()
        self._fixing()
        self.changed()
        return True

    def _next_sale(self) -> None:
        """Typing after a sale ended begins the next one: the last sale's banner, QR caption and words go."""
        if self.sale is not None and not self.sale.status.is_open:
            self._dismissed = self.sale.sale_id
            self.sale = None
            self.message, self.message_level = "", Level.INFO

    def set_reference(self, text: str) -> None:
        """The optional reference (table, order number) sent with the next charge."""
        self.reference = text

    @property
    def amount_text(self) -> str:
        """What the amount field shows: the typed text, or a greyed "0.00" hint when empty."""
        return self.amount.shown() or self.amount.placeholder

    @property
    def placeholder(self) -> str:
        return self.amount.placeholder

    def validate(self) -> str | None:
        """The cashier-readable reason the typed amount cannot be charged, or None."""
        return self.amount.validate()

    def _refused(self, why: str) -> None:
        """The amount's own refusal ("Too large: …"), said until the amount is typed again."""
        self._amount_refusal = why
        self._say(why, Level.WARNING)

    def _fixing(self) -> None:
        if self.message_level == Level.ERROR or (self.message and self.message == self._amount_refusal):
            self.message = ""  # the cashier is fixing it
        self._amount_refusal = ""

    # -- the due-date section (DUE_DATE providers) ----------------------------------------
    def toggle_due(self, on: bool | None = None) -> bool:
        """Open or close the due-date section; its contents stay as typed either way."""
        if self.due is None:
            return False
        on = not self.due_open if on is None else on
        if on == self.due_open:
            return False
        self.due_open = on
        self.changed()
        return True

    @property
    def show_due_form(self) -> bool:
        """The section's fields are on screen: open, and no sale occupying the counter (the keypad
        comes back, disabled, while one is; the next sale finds the section open again)."""
        return self.due is not None and self.due_open and not self.sale_open

    def _due_edited(self) -> None:
        self._fixing()
        self.changed()

    def due_check(self) -> DueCheck | None:
        """The due form read against the typed amount (None when the section is off)."""
        if self.due is None or not self.due_open:
            return None
        try:
            base = self.amount.money() if self.entry else None
        except MoneyError:
            base = None
        return self.due.check(base)

    @property
    def due_lines(self) -> tuple[list[str], list[str]]:
        """(breakdown lines, problems) for the screen: the form's while typing, else the shown sale's."""
        check = self.due_check() if not self.sale_open else None
        if check is not None:
            if check.problems:
                return [], list(check.problems)
            assert self.due is not None
            due = _("Due date {date}").format(date=format_date(self.due.due_date))
            return [due, *(check.lines or [_("Type the amount to see what is due today")])], []
        terms = self._terms.get(self.sale.sale_id) if self.sale else None
        if self.sale is not None and terms is not None:
            return summary(self.sale.amount, terms, self.today()), []
        return [], []

    def owed(self, sale: Sale) -> Money:
        """What the customer has to pay for ``sale``: for a due-date charge what the provider took on the
        day it was paid (``Sale.amount_due``), before that the amount due today; else its amount."""
        if sale.amount_due is not None:
            return sale.amount_due
        terms = self._terms.get(sale.sale_id)
        return owed_today(sale.amount, terms, self.today()) if terms else sale.amount

    # -- what the screen shows ------------------------------------------------------------
    @property
    def sale_open(self) -> bool:
        return self.sale is not None and self.sale.status.is_open

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

    def _say(self, message: str, level: Level) -> None:
        self.message, self.message_level = message, level
        self.changed()
