"""The field agent's command layer: what ``tillqr bills …``, ``tillqr sync`` and the field screen call.

Qt-free and asyncio. Recording a reading needs no network (the field book only); importing and syncing need
the provider, which may be absent (``provider=None``: an offline laptop, or the commands that never call it).
Listeners (``subscribe``) hear ``BillsChanged``, ``OnlineChanged`` and ``SyncProgress``: the field screen's
view-model redraws from them.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from app.domain.bills import Bill, check_reading
from app.domain.money import Money
from app.domain.tariffs import Charge, Tariff, compute_charge
from app.i18n import _
from app.providers.base import PaymentProvider, ProviderAuthError, ProviderError
from app.storage.fieldbook import Fieldbook, StoredBill, SyncState

from .billing import due_date_for, payable_today, tariff_of, terms_for
from .importer import ImportProgress, ImportReport, import_route
from .sync import CONCURRENCY, SyncProgress, SyncReport, push

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BillRow:
    """One bill as the agent sees it."""

    bill: Bill
    tariff_label: str
    currency: str
    reading: Decimal | None
    consumption: Decimal | None
    base_charge: Money | None  # the reading's charge (tariff maths)
    charge: Money | None  # what the provider takes if the bill is paid today (due-date terms applied)
    sync_state: SyncState
    reason: str
    payment_link_id: str | None
    payload: str | None  # the text printed in the bill's QR
    request_id: str | None
    due_date: date | None
    recorded_at: datetime | None
    at_provider: bool


@dataclass(frozen=True)
class BillsChanged:
    bill_ids: tuple[str, ...]  # empty: any may have changed


@dataclass(frozen=True)
class OnlineChanged:
    online: bool
    detail: str = ""


FieldEvent = BillsChanged | OnlineChanged | SyncProgress


def _fold(text: str) -> str:
    """Lower case without accents: "São João" is found by "sao joao"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


class NoSuchBill(LookupError):
    def __init__(self, bill_id: str):
        super().__init__(
            _("no bill {bill} on this laptop (`{command}` shows them)").format(
                bill=repr(bill_id), command="tillqr bills list"
            )
        )


class FieldService:
    def __init__(
        self,
        book: Fieldbook,
        tariffs: Mapping[str, Tariff],
        provider: PaymentProvider | None = None,
        *,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        concurrency: int = CONCURRENCY,
        durable: Callable[[], Awaitable[None]] | None = None,
    ):
        self.concurrency = concurrency  # provider calls in flight at once (import and sync)
        self.durable = durable  # awaited before the book records what the provider did (see sync.push)
        self.book = book
        self.tariffs = tariffs
        self.provider = provider
        self.today = today
        self.online: bool | None = None  # unknown until a probe or a call says
        self._listeners: list[Callable[[FieldEvent], None]] = []

    # -- events ----------------------------------------------------------------------------------
    def subscribe(self, fn: Callable[[FieldEvent], None]) -> None:
        self._listeners.append(fn)

    def _emit(self, event: FieldEvent) -> None:
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:  # a listener's bug must not stop the sync
                log.exception("a field listener failed on %s", event)

    def _set_online(self, online: bool, detail: str = "") -> None:
        if online != self.online:
            self.online = online
            self._emit(OnlineChanged(online, detail))

    # -- reading the book ------------------------------------------------------------------------
    def row(self, stored: StoredBill) -> BillRow:
        tariff = self.tariffs.get(stored.bill.tariff)
        due = stored.bill.due_date
        charge = None
        if tariff is not None and stored.charge is not None:
            read_on = stored.recorded_at.date() if stored.recorded_at else self.today()
            due = stored.charged_due or due_date_for(stored.bill, tariff, read_on)
            # once synced, what the provider asks (a re-issue after a part payment asks only the rest)
            base = stored.amount if stored.sync_state is SyncState.SYNCED and stored.amount else stored.charge
            charge = payable_today(base, terms_for(tariff, base, due), self.today())
        return BillRow(
            bill=stored.bill,
            tariff_label=tariff.label if tariff else stored.bill.tariff,
            currency=stored.currency,
            reading=stored.reading,
            consumption=stored.consumption,
            base_charge=stored.charge,
            charge=charge,
            sync_state=stored.sync_state,
            reason=stored.reason,
            payment_link_id=stored.bill.payment_link_id,
            payload=stored.payload,
            request_id=stored.request_id if stored.request_created else None,
            due_date=due,
            recorded_at=stored.recorded_at,
            at_provider=stored.at_provider,
        )

    async def bills(self, query: str = "") -> list[BillRow]:
        """The open routes' bills in route order; ``query`` finds by bill, customer, address or meter."""
        rows = [self.row(s) for s in await self.book.bills()]
        words = _fold(query).split()
        if not words:
            return rows
        return [
            r
            for r in rows
            if all(
                w in _fold(" ".join((r.bill.bill_id, r.bill.customer, r.bill.address, r.bill.meter_id))) for w in words
            )
        ]

    async def bill(self, bill_id: str) -> BillRow | None:
        stored = await self.book.bill(bill_id)
        return self.row(stored) if stored else None

    async def counts(self) -> dict[SyncState, int]:
        return await self.book.counts()

    # -- readings --------------------------------------------------------------------------------
    def preview(self, row: BillRow, text: str, *, confirm_reset: bool = False, meter_id: str | None = None) -> Charge:
        """The charge a reading gives, as it is typed; ReadingRejected says what is wrong with it."""
        tariff = tariff_of(row.bill, self.tariffs)
        read = check_reading(row.bill, tariff, text, meter_id=meter_id, confirm_reset=confirm_reset)
        return compute_charge(tariff, read.consumption)

    async def record(
        self, bill_id: str, text: str, *, confirm_reset: bool = False, meter_id: str | None = None
    ) -> BillRow:
        """A reading taken in the field: checked, charged, and queued with its idempotency key (no network)."""
        stored = await self.book.bill(bill_id)
        if stored is None:
            raise NoSuchBill(bill_id)
        tariff = tariff_of(stored.bill, self.tariffs)
        read = check_reading(stored.bill, tariff, text, meter_id=meter_id, confirm_reset=confirm_reset)
        charge = compute_charge(tariff, read.consumption).total
        await self.book.record(
            bill_id,
            value=read.reading,
            consumption=read.consumption,
            charge=charge,
            reset=read.reset,
            due_date=due_date_for(stored.bill, tariff, self.today()),
        )
        self._emit(BillsChanged((bill_id,)))
        row = await self.bill(bill_id)
        assert row is not None
        return row

    async def reissue(self, bill_id: str) -> BillRow:
        """Resolve a conflict by charging the reading on a new payment request (sent by the next sync)."""
        await self._conflicted(bill_id)
        await self.book.reissue(bill_id)
        self._emit(BillsChanged((bill_id,)))
        row = await self.bill(bill_id)
        assert row is not None
        return row

    async def drop(self, bill_id: str, note: str) -> BillRow:
        """Resolve a conflict by dropping the reading, with the agent's note."""
        if not note.strip():
            raise ValueError(_("say why the reading is dropped (a note is kept with it)"))
        await self._conflicted(bill_id)
        await self.book.drop(bill_id, note.strip())
        self._emit(BillsChanged((bill_id,)))
        row = await self.bill(bill_id)
        assert row is not None
        return row

    async def _conflicted(self, bill_id: str) -> StoredBill:
        stored = await self.book.bill(bill_id)
        if stored is None:
            raise NoSuchBill(bill_id)
        if stored.sync_state is not SyncState.CONFLICT:
            raise ValueError(_("bill {bill} is not in conflict: there is nothing to resolve").format(bill=bill_id))
        return stored

    # -- the network -----------------------------------------------------------------------------
    def _provider(self) -> PaymentProvider:
        if self.provider is None:
            raise RuntimeError("this field service was opened without a provider")
        return self.provider

    async def probe(self) -> bool:
        """Whether the provider answers now (a real call); listeners hear when that changes."""
        try:
            await self._provider().ping()
        except ProviderAuthError as exc:
            self._set_online(True, str(exc))
            raise
        except ProviderError as exc:
            self._set_online(False, str(exc))
            return False
        self._set_online(True)
        return True

    async def sync(
        self, progress: Callable[[SyncProgress], None] | None = None, *, dry_run: bool = False
    ) -> SyncReport:
        def tell(p: SyncProgress) -> None:
            if progress:
                progress(p)
            self._emit(p)

        report = await push(
            self.book,
            None if dry_run else self._provider(),
            self.tariffs,
            tell,
            dry_run=dry_run,
            concurrency=self.concurrency,
        )
        if not dry_run:
            self._set_online(not report.offline)
            self._emit(BillsChanged(()))
        return report

    async def import_bills(
        self, bills: Sequence[Bill], source: Path | str, progress: Callable[[ImportProgress], None] | None = None
    ) -> ImportReport:
        report = await import_route(
            self.book,
            self._provider(),
            self.tariffs,
            bills,
            str(source),
            progress,
            concurrency=self.concurrency,
            durable=self.durable,
        )
        self._set_online(not report.offline)
        self._emit(BillsChanged(()))
        return report

    async def close_route(self) -> int:
        closed = await self.book.close_route()
        self._emit(BillsChanged(()))
        return closed
