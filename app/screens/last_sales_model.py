"""The counter's "Last sales": the till's last few sales at a glance, each paid one with "Reprint", without Qt.

``load`` reads the journal's newest sales (``Journal.list_sales``), or with cashiers by name the signed-in
cashier's (``cashier_first``, the counter's ``fetch``); the counter reloads it when its sale ends
(``CounterModel.on_sale_ended``) and when the panel opens. ``reprint`` prints a receipt again where
``[printer]`` says (``print_receipt``, the same path as the counter's and the Journal's "Print receipt"; in demo
mode a PDF). The list shows time, amount and status in the Journal's words; it opens no sale and changes none.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import tzinfo

from app.domain.sale import Sale, SaleStatus
from app.i18n import _, format_time, lazy_
from app.receipts.desk import ReceiptDesk
from app.storage.journal import Journal

from .cashier_model import CashierModel
from .journal_filters import status_words
from .observed import Listeners
from .operations import Busy, Level, Operations, Words
from .shift_model import print_receipt

Fetch = Callable[[int], Coroutine[object, None, list[Sale]]]


def cashier_first(cashiers: CashierModel, journal: Journal) -> Fetch:
    """The signed-in cashier's last sales; the till's own when nobody is signed in (a shop without cashiers)."""

    async def fetch(n: int) -> list[Sale]:
        if cashiers.signed_in is not None:
            return await cashiers.last_sales(n)
        return await journal.list_sales(limit=n)

    return fetch


SHOWN = 8  # sales in the list: a glance, not the Journal
LOAD = Words(lazy_("The last sales could not be read"))
_RECEIPTED = frozenset({SaleStatus.SETTLED, SaleStatus.REFUNDED, SaleStatus.PARTIALLY_REFUNDED, SaleStatus.RETURNED})


@dataclass(frozen=True)
class SaleLine:
    """One sale as the list shows it."""

    sale_id: str
    time: str  # "14:05" (the till's zone)
    amount: str  # "BRL 12.50"
    status: str  # "Paid", "Expired", "Cancelled · part paid"
    reference: str
    can_reprint: bool  # money was taken: there is a receipt to give


def line_of(sale: Sale, tz: tzinfo | None = None) -> SaleLine:
    return SaleLine(
        sale_id=sale.sale_id,
        time=format_time(sale.created_at.astimezone(tz)),
        amount=sale.amount.display(),
        status=status_words(sale),
        reference=sale.reference,
        can_reprint=sale.status in _RECEIPTED,
    )


class LastSalesModel:
    """The state of the "Last sales" panel. ``desk``: where receipts print (None: no Reprint)."""

    def __init__(
        self,
        journal: Journal,
        desk: ReceiptDesk | None,
        *,
        limit: int = SHOWN,
        fetch: Fetch | None = None,
        tz: tzinfo | None = None,
    ):
        self.journal = journal
        self.desk = desk
        self.limit = limit
        self.fetch = fetch or (lambda n: journal.list_sales(limit=n))
        self.tz = tz
        self.lines: list[SaleLine] = []
        self.loaded = False
        self.message = ""
        self.message_level: str = Level.INFO
        self.ops = Operations(self)
        self._listeners = Listeners()

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def changed(self) -> None:
        self._listeners()

    @property
    def busy(self) -> Busy | None:
        return self.ops.busy

    @property
    def can_reprint(self) -> bool:
        return self.desk is not None and self.desk.can_print and self.busy is None

    @property
    def empty_text(self) -> str:
        return _("No sales yet on this till.") if self.loaded and not self.lines else ""

    async def load(self) -> bool:
        """Read the newest sales again (a read that fails is said in words; the old list stays). Skipped while
        a receipt prints (the list is read again when the panel next opens or a sale ends)."""
        if self.busy is not None:
            return False
        outcome = await self.ops.run(Busy.LOAD, self.fetch(self.limit), LOAD, doing=None)
        if outcome.ok and outcome.value is not None:
            self.lines = [line_of(sale, self.tz) for sale in outcome.value]
            self.loaded = True
            self.changed()
        return outcome.ok

    async def reprint(self, sale_id: str) -> bool:
        """Print the receipt of ``sale_id`` again; what was done (or why not) in the panel's message."""
        if self.desk is None or not self.can_reprint:
            return False
        return await print_receipt(self.ops, self.desk, sale_id)
