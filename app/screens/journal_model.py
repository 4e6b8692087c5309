"""JournalModel: everything the journal screen knows and decides, without Qt.

The view (app/ui/journal_view.py) forwards filter choices, the search text, the
selected row and the refund/export commands here and repaints from the model's
read-only views (``rows``, ``detail``, ``totals`` …) whenever the model says it
changed. Tested without a screen (tests/unit/test_journal_model.py).

- sales come from the journal, newest first (``load``; reads run on the journal's
  own thread, so the loop — Qt's in the GUI — never waits on SQLite);
- filters: by status group (``STATUS_FILTERS``), by day (all, today, yesterday or
  a date, in the till's local time) and a free-text search over the sale id,
  request id, reference and amount;
- the selected sale's detail: every field, its event history and its refunds;
- a refund of the selected sale, full or partial, only after the manager PIN; it
  is refused in words before any PIN is asked when it cannot happen (provider
  without refunds, sale not refundable, amount above what is refundable), and the
  controller's ``RefundError`` is shown as it is worded;
- live: the controller's ``SaleChanged`` events, delivered to ``on_event`` by the one route
  (app.ui.bridge), update the row (and the detail);
- load, refund and export run through the screen's operation runner (app.screens.operations):
  busy while awaited, failures in words, a typed result;
- the day's totals by status (``reports.day_totals``) and a CSV export of the
  filtered sales (``reports.export_csv``), written off the loop;
- every word in the store's language; ``relabel`` says it all again after a switch.

Rules: filters and status words in journal_filters.py, row/detail/history/totals lines in
journal_lines.py, refunds in journal_refunds.py; what the screen shows (sales, filters, rows, totals, the
detail, live updates) in the base class, journal_browse.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.checkout.refunds import ClosedRefund
from app.domain.money import Money
from app.domain.sale import Sale
from app.i18n import _, lazy_, ngettext
from app.screens import journal_refunds
from app.screens.journal_browse import JournalBrowse
from app.screens.journal_filters import WORDS
from app.screens.operations import Busy, Level, Words
from app.storage import reports
from app.storage.reports import CsvDialect

REFUND = Words(lazy_("Refund not made"), refused=lazy_("Refund refused"), stop=".")
CLOSE = Words(lazy_("Refund not closed"), refused=lazy_("Closing refused"), stop=".")
EXPORT = Words(lazy_("The CSV could not be written"), stop=".")


class JournalModel(JournalBrowse):
    """The journal screen: what it shows (``JournalBrowse``) and its commands."""

    # -- refunds --------------------------------------------------------------------
    @property
    def can_refund(self) -> bool:
        return self.refund_blocked() is None

    def refund_blocked(self) -> str | None:
        """Why the selected sale cannot be refunded from here, in words; None when it can."""
        if self.detail is None:
            return _("Select a sale to refund.")
        sale = self.detail.sale
        available = bool(getattr(self.controller.refunds, "available", False))
        till = getattr(self.controller.provider, "name", sale.provider) if available else sale.provider
        return journal_refunds.blocked(sale, available, till)

    def refund_default(self) -> str:
        """What the amount field starts with: all that can be refunded."""
        return str(self.detail.sale.refundable) if self.detail else ""

    def check_refund(self, amount_text: str) -> Money | str:
        """The amount to refund, or the reason it cannot be refunded (before any PIN is asked)."""
        blocked = self.refund_blocked()
        if blocked:
            return blocked
        return journal_refunds.amount(self.detail.sale, amount_text)  # type: ignore[union-attr]

    async def refund(self, amount_text: str, pin: str) -> bool:
        """Refund ``amount_text`` (empty: everything refundable) of the selected sale after the manager PIN.
        Returns True when the provider confirmed it; otherwise ``message`` says why, in words."""
        if self.ops.refuse(Busy.REFUND):
            return False
        money = self.check_refund(amount_text)
        if isinstance(money, str):
            self._say(money, Level.ERROR)
            self.changed()
            return False
        sale = self.detail.sale  # type: ignore[union-attr]
        doing = _("Checking the PIN…")
        outcome = await self.ops.run(Busy.REFUND, self._refund(sale, money, pin), REFUND, doing=doing)
        if outcome.value is not None:
            self._replace(outcome.value)
            status = WORDS[outcome.value.status].lower()
            self._say(_("Refunded {amount}; the sale is now {status}.").format(amount=money.display(), status=status))
        if self.selected is not None:
            await self._load_detail(self.selected)
        self.changed()
        return outcome.ok

    async def _refund(self, sale: Sale, money: Money, pin: str) -> Sale:
        # scrypt takes a moment: off the loop, so the screen keeps painting (PinError: "Refund refused: …")
        await asyncio.get_running_loop().run_in_executor(None, self.pin.check, pin)
        self.ops.say(_("Refunding {amount}…").format(amount=money.display()))
        return await self.controller.refund(sale.sale_id, money)

    async def close_refund(self, refund: str, note: str, pin: str) -> bool:
        """Close the selected sale's pending ``refund`` with the manager's ``note`` (after they checked with the
        provider that nothing was refunded), behind the PIN. True when closed; otherwise ``message`` says why."""
        if self.ops.refuse(Busy.REFUND) or self.detail is None:
            return False
        sale_id = self.detail.sale.sale_id
        doing = _("Checking the PIN…")
        outcome = await self.ops.run(Busy.REFUND, self._close(sale_id, refund, note, pin), CLOSE, doing=doing)
        if outcome.ok:
            self._say(_("Refund {refund} closed as rejected; the sale can be refunded again.").format(refund=refund))
        if self.selected is not None:
            await self._load_detail(self.selected)
        self.changed()
        return outcome.ok

    async def _close(self, sale_id: str, refund: str, note: str, pin: str) -> ClosedRefund:
        await asyncio.get_running_loop().run_in_executor(None, self.pin.check, pin)
        return await self.controller.refunds.close(sale_id, refund, note)

    # -- export ------------------------------------------------------------------------
    async def export(self, path: Path | str, dialect: CsvDialect = CsvDialect.NEUTRAL) -> int | None:
        """The filtered sales to ``path`` as CSV in ``dialect`` (written off the loop); the number written, or
        None."""
        if self.ops.refuse(Busy.EXPORT):
            return None
        loop = asyncio.get_running_loop()
        write = loop.run_in_executor(None, reports.export_csv, self.filtered, Path(path), dialect)
        outcome = await self.ops.run(Busy.EXPORT, _awaited(write), EXPORT, doing=None)
        n = outcome.value
        if n is not None:
            self._say(
                ngettext("Exported {n} sale to {path}.", "Exported {n} sales to {path}.", n).format(n=n, path=path)
            )
            self.changed()
        return n


async def _awaited(future: asyncio.Future[int]) -> int:
    """A future (work on another thread) as the coroutine the operation runner takes."""
    return await future
