"""JournalBrowse: what the journal screen shows, without Qt; the base of ``app.screens.journal_model.JournalModel``,
which adds the commands (refund, close a refund, export).

- the sales, newest first (``load``, through the screen's operation runner; reads run on the journal's own
  thread), forgotten while nobody looks (``release``);
- the filters (status group, day, free-text search), the rows and the summary line;
- the day's totals by status;
- the selected sale's detail (fields, event history, refunds), read again in a held task when it changes;
- live: the controller's ``SaleChanged`` events (``on_event``) update the row and the detail; ``relabel``
  says it all again after a language switch.

Rules: filters and status words in journal_filters.py, row/detail/history/totals lines in journal_lines.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any

from app.checkout.events import Event, SaleChanged
from app.domain.sale import Sale, utcnow
from app.i18n import _, lazy_, ngettext
from app.screens import journal_filters, journal_lines, journal_refunds
from app.screens.journal_filters import DAY_FILTERS, STATUS_FILTERS
from app.screens.journal_lines import Detail, Row, TotalLine
from app.screens.observed import Listeners
from app.screens.operations import Busy, Level, Operations, Words

log = logging.getLogger("tillqr.journal.screen")

LOAD = Words(lazy_("The journal could not be read"))


class JournalBrowse:
    """What the journal screen shows. ``controller`` is a CheckoutController, ``journal`` its Journal,
    ``pin`` a PinGate for the manager PIN. ``clock`` and ``tz`` fix "today" in tests."""

    def __init__(
        self,
        controller: Any,
        journal: Any,
        pin: Any,
        *,
        clock: Callable[[], datetime] = utcnow,
        tz: tzinfo | None = None,
        limit: int | None = None,
    ):
        self.controller = controller
        self.journal = journal
        self.pin = pin
        self.clock = clock
        self.tz = tz
        self.limit = limit
        self.sales: list[Sale] = []  # every sale loaded, newest first
        self.status_filter = "all"
        self.day_filter = "all"
        self.day: date | None = None  # the date of the "date" day filter
        self.search = ""
        self.selected: str | None = None
        self.detail: Detail | None = None
        self.message = ""
        self.message_level: str = Level.INFO
        self.ops = Operations(self)  # load, refund and export: busy, words and result in one place
        self.loaded = False
        self.detail_currency = ""
        self._rows: list[Row] | None = None
        self._listeners = Listeners()
        self._tasks: set[asyncio.Task] = set()

    # -- observers ------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every change; returns the function that stops it."""
        return self._listeners.add(listener)

    @property
    def busy(self) -> Busy | None:
        """What the screen is waiting for (the view disables and words its buttons meanwhile)."""
        return self.ops.busy

    def changed(self) -> None:
        self._rows = None
        self._listeners()

    def close(self) -> None:
        """The view is going away: stop what is still running."""
        self.ops.close()
        for task in self._tasks:
            task.cancel()

    def release(self) -> None:
        """Forget the loaded sales while nobody looks (the page is hidden; ``load`` reads them again): a
        till that runs for days must not keep every sale it made in memory, one more at each charge."""
        if self.busy is None:
            self.sales, self.loaded, self._rows = [], False, None

    def _say(self, text: str, level: Level = Level.INFO) -> None:
        self.message, self.message_level = text, level

    # -- days ---------------------------------------------------------------------
    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    @property
    def selected_day(self) -> date | None:
        """The calendar day the day filter shows, or None for every day."""
        return journal_filters.day_of(self.day_filter, self.day, self.today())

    @property
    def totals_day(self) -> date:
        """The day whose end-of-day totals are shown: the filtered day, else today."""
        return self.selected_day or self.today()

    # -- loading --------------------------------------------------------------------
    async def load(self) -> None:
        """(Re)read every sale from the journal; keeps the selection when the sale is still there."""
        outcome = await self.ops.run(Busy.LOAD, self.journal.list_sales(limit=self.limit), LOAD, doing=None)
        if outcome.ok and outcome.value is not None:
            self.sales = outcome.value
            self.loaded = True
            if self.message_level == Level.ERROR and self.message.startswith(str(LOAD.failed)):
                self._say("")
        if self.selected is not None:
            await self._load_detail(self.selected)
        self.changed()

    # -- filters --------------------------------------------------------------------
    def set_status_filter(self, key: str) -> None:
        if key not in STATUS_FILTERS:
            raise ValueError(f"unknown status filter {key!r}: one of {', '.join(STATUS_FILTERS)}")
        self.status_filter = key
        self.changed()

    def set_day_filter(self, key: str, day: date | None = None) -> None:
        if key not in DAY_FILTERS:
            raise ValueError(f"unknown day filter {key!r}: one of {', '.join(DAY_FILTERS)}")
        self.day_filter = key
        if key == "date":
            self.day = day or self.day or self.today()
        self.changed()

    def set_search(self, text: str) -> None:
        self.search = text
        self.changed()

    def matches(self, sale: Sale) -> bool:
        return journal_filters.matches(sale, self.status_filter, self.selected_day, self.search, self.tz)

    @property
    def filtered(self) -> list[Sale]:
        return [s for s in self.sales if self.matches(s)]

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            self._rows = [self._row(s) for s in self.filtered]
        return self._rows

    def _row(self, sale: Sale) -> Row:
        return journal_lines.sale_row(sale, self.local, self.today())

    @property
    def summary(self) -> str:
        shown, total = len(self.rows), len(self.sales)
        if not self.loaded:
            return _("Loading the journal…") if self.busy is Busy.LOAD else ""
        if total == 0:
            return _("No sales yet.")
        if shown != total:
            return ngettext("{shown} of {n} sale", "{shown} of {n} sales", total).format(shown=shown, n=total)
        return ngettext("{n} sale", "{n} sales", total).format(n=total)

    # -- totals ---------------------------------------------------------------------
    @property
    def totals(self) -> list[TotalLine]:
        """End-of-day totals of ``totals_day`` by status (and currency), every sale of that day."""
        return journal_lines.total_lines(self.sales, self.totals_day, self.tz)

    @property
    def totals_title(self) -> str:
        return journal_filters.day_title(self.totals_day, self.today())

    def totals_entries(self) -> list[tuple[str, str, str]]:
        """Per status: (words, "2 sales", "BRL 22.50, received BRL 27.50") for a compact or a full layout."""
        return journal_lines.total_entries(self.totals)

    def totals_text(self) -> list[str]:
        """One line per status: "Paid: 2 sales, BRL 22.50, received BRL 27.50"."""
        return [f"{words}: {count}, {money}" for words, count, money in self.totals_entries()]

    # -- selection and detail -------------------------------------------------------------
    async def select(self, sale_id: str | None) -> None:
        self.selected = sale_id
        if self.message_level != Level.INFO and self.busy is None:
            self._say("")
        if sale_id is None:
            self.detail = None
            self.changed()
            return
        await self._load_detail(sale_id)
        self.changed()

    async def _load_detail(self, sale_id: str) -> None:
        try:
            sale = await self.journal.get(sale_id)
            if sale is None:
                self.detail = None
                return
            events = await self.journal.events(sale_id)
            self.detail_currency = sale.amount.currency
            refunds = await self.journal.refunds(sale_id)
        except Exception as exc:
            log.exception("journal detail failed")
            self._say(_("The journal could not be read: {reason}").format(reason=exc), Level.ERROR)
            return
        if self.selected != sale_id:
            return  # another row was picked meanwhile
        self._replace(sale)
        self.detail = Detail(
            sale,
            self._fields(sale),
            [self._event_line(e) for e in events],
            [self._refund_line(sale, r) for r in refunds],
            journal_refunds.closable(refunds),
        )

    def _fields(self, sale: Sale) -> list[tuple[str, str]]:
        return journal_lines.sale_fields(sale, self.local)

    def _event_line(self, event: dict[str, Any]) -> str:
        return journal_lines.event_line(event, self.detail_currency, self.local)

    def _refund_line(self, sale: Sale, refund: dict[str, Any]) -> str:
        return journal_lines.refund_line(sale, refund, self.local)

    # -- live updates ------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """The one entry for the controller's events (delivered by app.ui.bridge on the GUI thread)."""
        if not isinstance(event, SaleChanged):
            return
        sale = event.sale
        self._replace(sale)
        if self.selected == sale.sale_id and self.busy is not Busy.REFUND:
            self._refresh_detail(sale.sale_id)
        self.changed()

    def relabel(self) -> None:
        """The store's language changed: the rows, the detail and the totals are said again in it."""
        self._rows = None
        if self.selected is not None:
            self._refresh_detail(self.selected)
        self.changed()

    def _refresh_detail(self, sale_id: str) -> None:
        """Read the detail again in a held task (none without a running loop: the next select reads it)."""
        try:
            task = asyncio.get_running_loop().create_task(self._load_detail(sale_id))
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._detail_read)

    def _detail_read(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.changed()

    def _replace(self, sale: Sale) -> None:
        for i, old in enumerate(self.sales):
            if old.sale_id == sale.sale_id:
                if sale.updated_at >= old.updated_at:
                    self.sales[i] = sale
                break
        else:
            if self.loaded:  # released (the page is hidden): the sale is read with the others when shown
                self.sales.insert(0, sale)
                self.sales.sort(key=lambda s: s.created_at, reverse=True)
        if (
            self.detail is not None
            and self.detail.sale.sale_id == sale.sale_id
            and sale.updated_at >= self.detail.sale.updated_at
        ):
            self.detail.sale = sale
            self.detail.fields = self._fields(sale)
        self._rows = None
