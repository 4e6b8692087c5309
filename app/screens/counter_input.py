"""CounterInput: what the cashier types at the counter and what the screen says about it, without Qt; the base
of ``app.screens.counter_model.CounterModel``, which adds the controller's events and the commands.

- the amount being typed (``app.screens.amount_entry``), locked while a sale is open or a call is in flight;
  typing after a sale ended begins the next one; a refused key or paste said in words until the amount is
  typed again;
- the optional reference sent with the next charge;
- the optional due-date section (``app.screens.due_form``), only when the provider has ``Capability.DUE_DATE``:
  open or closed, its check against the typed amount, the breakdown of what the customer owes today (while
  typing, then with the sale), and the due terms of the sales charged from this screen (``owed``);
- the sale shown (``sale``), the words said (``message``, ``message_level``), the listeners told of each change,
  and the screen's one operation runner (``ops``, ``busy``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from app.domain.duedate import local_date
from app.domain.dueterms import DueTerms
from app.domain.money import Money, MoneyError
from app.domain.sale import Sale
from app.i18n import _, format_date
from app.providers.base import Capability

from .amount_entry import AmountEntry
from .counter_words import while_busy
from .due_form import DueCheck, DueForm, owed_today, summary
from .observed import Listeners
from .operations import Busy, Level, Operations


class CounterInput:
    """The counter's input side in ``currency``; ``capabilities``: the provider's (the due-date section only
    with ``Capability.DUE_DATE``); ``clock``: now, in UTC (the due dates' "today")."""

    def __init__(self, currency: str, capabilities: Capability, clock: Callable[[], datetime]):
        self.currency = currency
        self.amount = AmountEntry(currency)
        self.decimals = self.amount.decimals
        self.clock = clock
        self.reference = ""
        self.sale: Sale | None = None
        self.message = ""
        self.message_level: str = Level.INFO
        self._amount_refusal = ""  # the amount field's last refusal, said until the amount is typed again
        self.ops = Operations(self, while_busy)  # every command runs through it: busy, words, result
        self._listeners = Listeners()
        self.due: DueForm | None = None
        if Capability.DUE_DATE in capabilities:
            self.due = DueForm(currency, today=self.today, changed=self._due_edited, locked=lambda: self.entry_locked)
        self.due_open = False
        self._terms: dict[str, DueTerms] = {}  # the due terms of sales charged from this screen
        self._dismissed = ""  # the finished sale the cashier typed past (its late snapshots stay away)

    # -- observers ------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """``listener()`` after each change; returns what stops it (a view gone before a press's task ends)."""
        return self._listeners.add(listener)

    def changed(self) -> None:
        self._listeners()

    @property
    def busy(self) -> Busy | None:
        """What the screen is waiting for (the view disables and words its buttons meanwhile)."""
        return self.ops.busy

    def today(self) -> date:
        """The calendar day due dates are written in (Brasília, where Pix due dates live)."""
        return local_date(self.clock())

    @property
    def sale_open(self) -> bool:
        return self.sale is not None and self.sale.status.is_open

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

    def _say(self, message: str, level: Level) -> None:
        self.message, self.message_level = message, level
        self.changed()
