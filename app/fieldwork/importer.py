"""A route's bills put at the provider: each bill's payment link (the QR printed on the paper bill) and the payment
request linked to it, whose amount the sync sets once the meter is read.

Three steps, each resumable, each sending only what a bill still lacks (the field book says what that is):

1. links: ``create_link`` for each bill without one (its idempotency key chosen at import), or ``get_link`` for a
   link the route file names (its payload is what is printed);
2. requests: created in bulk calls of ``max_bulk`` (25 at J.P. Morgan) where the provider has BULK_CREATE, one by
   one otherwise; each request's id is client-assigned and stored at import, so a bulk call regrouped on a
   resumed import is answered per item with what already exists; the request asks the bill's minimum charge
   (the fixed fee and its taxes) until the reading is synced, due on the bill's due date (or ``due_days`` after
   import) with the tariff's due-date terms;
3. linking each request to its bill's link.

A call the network fails stops the import (the rest is done on the next run); an item the provider refuses is
reported with its reason and the others go on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TypeVar

from app.domain.bills import Bill
from app.domain.money import Money
from app.domain.tariffs import Tariff
from app.providers.base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    bulk,
    linking,
)
from app.storage.fieldbook import Fieldbook, StoredBill

from .billing import due_date_for, minimum_charge, tariff_of, terms_for

log = logging.getLogger(__name__)
T = TypeVar("T")
CONCURRENCY = 16


@dataclass(frozen=True)
class ImportProgress:
    step: str  # "links", "requests", "linking"
    done: int
    total: int


@dataclass
class ImportReport:
    bills: int = 0  # bills of the route
    added: int = 0  # new in the field book (the others were imported before)
    links_created: int = 0
    requests_created: int = 0
    bulk_calls: int = 0
    linked: int = 0
    calls: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (bill id, the provider's reason)
    offline: bool = False
    complete: int = 0  # bills now fully at the provider

    @property
    def exit_code(self) -> int:
        """0 every bill at the provider, 3 the network stopped it (run again), 4 some bills refused."""
        if self.offline:
            return 3
        return 4 if self.refused else 0


class _Stop(Exception):
    pass


async def import_route(
    book: Fieldbook,
    provider: PaymentProvider,
    tariffs: Mapping[str, Tariff],
    bills: Sequence[Bill],
    source: str,
    progress: Callable[[ImportProgress], None] | None = None,
    *,
    concurrency: int = CONCURRENCY,
    durable: Callable[[], Awaitable[None]] | None = None,
) -> ImportReport:
    """Put ``bills`` (validated: ``app.fieldwork.route_csv``) in the field book, then at the provider.

    ``durable`` (when given) is awaited before the field book records what the provider did (the embedded demo
    sandbox saves in the background: the book must never say "created" of what the sandbox could still lose)."""
    report = ImportReport(bills=len(bills))
    _, report.added = await book.add_route(source, [(b, tariff_of(b, tariffs).currency) for b in bills])
    run = _Import(book, provider, tariffs, report, progress, concurrency, durable, {b.bill_id for b in bills})
    try:
        await run.links()
        await run.requests()
        await run.link_all()
    except _Stop:
        report.offline = True
    report.complete = sum(1 for s in await run.bills() if s.at_provider)
    return report


def _ticker(step: str, total: int, progress: Callable[[ImportProgress], None] | None) -> Callable[[], None]:
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if progress:
            progress(ImportProgress(step, count, total))

    return tick


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass
class _Import:
    book: Fieldbook
    provider: PaymentProvider
    tariffs: Mapping[str, Tariff]
    report: ImportReport
    progress: Callable[[ImportProgress], None] | None
    concurrency: int
    durable: Callable[[], Awaitable[None]] | None
    wanted: set[str]

    async def bills(self) -> list[StoredBill]:
        return [s for s in await self.book.bills() if s.bill.bill_id in self.wanted]

    async def commit(self, write: Awaitable[None]) -> None:
        if self.durable is not None:
            await self.durable()
        await write

    async def each(
        self,
        items: Sequence[StoredBill],
        call: Callable[[StoredBill], Awaitable[T]],
        done: Callable[[StoredBill, T], None],
        tick: Callable[[], None],
    ) -> None:
        """``call`` for every item, ``concurrency`` at a time; a refusal is the item's, the network's stops them all."""
        queue = list(reversed(items))
        stop = asyncio.Event()

        async def worker() -> None:
            while queue and not stop.is_set():
                item = queue.pop()
                try:
                    self.report.calls += 1
                    result = await call(item)
                except ProviderAuthError:
                    raise
                except ProviderRejected as exc:
                    self.report.refused.append((item.bill.bill_id, exc.message))
                except ProviderError as exc:
                    if not stop.is_set():
                        log.info("import stopped at bill %s: %s", item.bill.bill_id, exc)
                    stop.set()
                    return
                else:
                    done(item, result)
                tick()

        await asyncio.gather(*(worker() for _ in range(max(1, min(self.concurrency, len(items))))))
        if stop.is_set():
            raise _Stop

    async def links(self) -> None:
        todo = [s for s in await self.bills() if s.payload is None]
        if not todo:
            return
        links = linking(self.provider)
        found: list[tuple[str, str, str]] = []

        async def one(s: StoredBill) -> tuple[str, str]:
            if s.bill.payment_link_id:
                info = await links.get_link(s.bill.payment_link_id)
            else:
                info = await links.create_link(s.link_key, f"Bill {s.bill.bill_id}", external_id=s.bill.bill_id)
                self.report.links_created += 1
            return info.link_id, info.payload

        try:
            await self.each(
                todo, one, lambda s, r: found.append((s.bill.bill_id, *r)), _ticker("links", len(todo), self.progress)
            )
        finally:
            await self.commit(self.book.set_link(found))

    async def requests(self) -> None:
        todo = [s for s in await self.bills() if not s.request_created and s.bill.payment_link_id]
        if not todo:
            return
        specs = {s.bill.bill_id: self.spec(s) for s in todo}
        tick = _ticker("requests", len(todo), self.progress)
        if Capability.BULK_CREATE not in self.provider.capabilities:
            created: list[tuple[str, int | None, Money]] = []

            async def one(s: StoredBill) -> None:
                info = await self.provider.create_request(specs[s.bill.bill_id])
                self.report.requests_created += 1
                created.append((s.bill.bill_id, info.revision, info.amount))

            try:
                await self.each(todo, one, lambda s, r: None, tick)
            finally:
                await self.commit(self.book.set_created(created))
            return
        maker = bulk(self.provider)
        for chunk in _chunks(todo, maker.max_bulk):
            batch = [specs[s.bill.bill_id] for s in chunk]
            key = hashlib.sha256("".join(s.request_key for s in chunk).encode()).hexdigest()[:32]
            try:
                self.report.calls += 1
                self.report.bulk_calls += 1
                items = await maker.create_requests(batch, key)
            except ProviderAuthError:
                raise
            except ProviderRejected as exc:  # the whole call refused: every bill of it
                self.report.refused.extend((s.bill.bill_id, exc.message) for s in chunk)
                continue
            except ProviderError as exc:
                log.info("import stopped in a bulk call: %s", exc)
                raise _Stop from exc
            made = []
            for s, item in zip(chunk, items, strict=True):
                if item.info is not None:
                    made.append((s.bill.bill_id, item.info.revision, item.info.amount))
                    self.report.requests_created += 1
                else:
                    self.report.refused.append((s.bill.bill_id, item.error.message if item.error else "refused"))
                tick()
            await self.commit(self.book.set_created(made))

    def spec(self, s: StoredBill) -> ChargeSpec:
        """The bill's request before its reading: the minimum charge, due on the bill's date or ``due_days`` after
        the route was first imported. Computed from what was stored at import only, so a resumed import (another
        day, another process) sends the very same body under the very same keys."""
        tariff = tariff_of(s.bill, self.tariffs)
        amount = minimum_charge(tariff)
        due = due_date_for(s.bill, tariff, s.imported_at.date())
        terms = terms_for(tariff, amount, due) if Capability.DUE_DATE in self.provider.capabilities else None
        end = due + timedelta(days=(terms.max_payment_days if terms else tariff.max_payment_days) + 1)
        duration = int((datetime.combine(end, time(), UTC) - s.imported_at).total_seconds())
        return ChargeSpec(
            request_id=s.request_id,
            amount=amount,
            reference=s.bill.bill_id,
            duration_s=max(3600, duration),
            idempotency_key=s.request_key,
            due=terms,
            external_id=s.bill.bill_id,
        )

    async def link_all(self) -> None:
        todo = [s for s in await self.bills() if s.request_created and not s.linked and s.bill.payment_link_id]
        if not todo:
            return
        links = linking(self.provider)
        linked: list[str] = []

        async def one(s: StoredBill) -> None:
            assert s.bill.payment_link_id is not None
            await links.link(s.bill.payment_link_id, s.request_id, s.link_call_key)
            self.report.linked += 1

        try:
            await self.each(
                todo, one, lambda s, r: linked.append(s.bill.bill_id), _ticker("linking", len(todo), self.progress)
            )
        finally:
            await self.commit(self.book.set_linked(linked))
