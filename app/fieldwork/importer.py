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
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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
    today: date | None = None,
    concurrency: int = CONCURRENCY,
) -> ImportReport:
    """Put ``bills`` (validated: ``app.fieldwork.route_csv``) in the field book, then at the provider."""
    report = ImportReport(bills=len(bills))
    _, report.added = await book.add_route(source, [(b, tariff_of(b, tariffs).currency) for b in bills])
    wanted = {b.bill_id for b in bills}
    day = today or datetime.now(UTC).date()
    try:
        await _links(
            book, provider, [s for s in await book.bills() if s.bill.bill_id in wanted], report, progress, concurrency
        )
        await _requests(
            book, provider, tariffs, [s for s in await book.bills() if s.bill.bill_id in wanted], report, progress, day
        )
        await _link_all(
            book, provider, [s for s in await book.bills() if s.bill.bill_id in wanted], report, progress, concurrency
        )
    except _Stop:
        report.offline = True
    report.complete = sum(1 for s in await book.bills() if s.bill.bill_id in wanted and s.at_provider)
    return report


async def _each(
    items: Sequence[StoredBill],
    call: Callable[[StoredBill], Awaitable[T]],
    report: ImportReport,
    concurrency: int,
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
                report.calls += 1
                result = await call(item)
            except ProviderAuthError:
                raise
            except ProviderRejected as exc:
                report.refused.append((item.bill.bill_id, exc.message))
            except ProviderError as exc:
                log.warning("import stopped at bill %s: %s", item.bill.bill_id, exc)
                stop.set()
                return
            else:
                done(item, result)
            tick()

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(items))))))
    if stop.is_set():
        raise _Stop


def _ticker(step: str, total: int, progress: Callable[[ImportProgress], None] | None) -> Callable[[], None]:
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if progress:
            progress(ImportProgress(step, count, total))

    return tick


async def _links(
    book: Fieldbook,
    provider: PaymentProvider,
    stored: Iterable[StoredBill],
    report: ImportReport,
    progress: Callable[[ImportProgress], None] | None,
    concurrency: int,
) -> None:
    todo = [s for s in stored if s.payload is None]
    if not todo:
        return
    links = linking(provider)
    found: list[tuple[str, str, str]] = []

    async def one(s: StoredBill) -> tuple[str, str]:
        if s.bill.payment_link_id:
            info = await links.get_link(s.bill.payment_link_id)
        else:
            info = await links.create_link(s.link_key, f"Bill {s.bill.bill_id}", external_id=s.bill.bill_id)
            report.links_created += 1
        return info.link_id, info.payload

    def done(s: StoredBill, result: tuple[str, str]) -> None:
        found.append((s.bill.bill_id, *result))

    try:
        await _each(todo, one, report, concurrency, done, _ticker("links", len(todo), progress))
    finally:
        await book.set_link(found)


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _requests(
    book: Fieldbook,
    provider: PaymentProvider,
    tariffs: Mapping[str, Tariff],
    stored: Iterable[StoredBill],
    report: ImportReport,
    progress: Callable[[ImportProgress], None] | None,
    day: date,
) -> None:
    todo = [s for s in stored if not s.request_created and s.bill.payment_link_id]
    if not todo:
        return
    specs = {s.bill.bill_id: _spec(s, tariffs, provider, day) for s in todo}
    tick = _ticker("requests", len(todo), progress)
    if Capability.BULK_CREATE not in provider.capabilities:
        created: list[tuple[str, int | None, Money]] = []

        async def one(s: StoredBill) -> None:
            info = await provider.create_request(specs[s.bill.bill_id])
            report.requests_created += 1
            created.append((s.bill.bill_id, info.revision, info.amount))

        try:
            await _each(todo, one, report, CONCURRENCY, lambda s, r: None, tick)
        finally:
            await book.set_created(created)
        return
    maker = bulk(provider)
    for chunk in _chunks(todo, maker.max_bulk):
        batch = [specs[s.bill.bill_id] for s in chunk]
        key = hashlib.sha256("".join(s.request_key for s in chunk).encode()).hexdigest()[:32]
        try:
            report.calls += 1
            report.bulk_calls += 1
            items = await maker.create_requests(batch, key)
        except ProviderAuthError:
            raise
        except ProviderRejected as exc:  # the whole call refused: every bill of it
            report.refused.extend((s.bill.bill_id, exc.message) for s in chunk)
            continue
        except ProviderError as exc:
            log.warning("import stopped in a bulk call: %s", exc)
            raise _Stop from exc
        made = []
        for s, item in zip(chunk, items, strict=True):
            if item.info is not None:
                made.append((s.bill.bill_id, item.info.revision, item.info.amount))
                report.requests_created += 1
            else:
                report.refused.append((s.bill.bill_id, item.error.message if item.error else "refused"))
            tick()
        await book.set_created(made)


def _spec(s: StoredBill, tariffs: Mapping[str, Tariff], provider: PaymentProvider, day: date) -> ChargeSpec:
    tariff = tariff_of(s.bill, tariffs)
    amount = minimum_charge(tariff)
    due = due_date_for(s.bill, tariff, day)
    terms = terms_for(tariff, amount, due) if Capability.DUE_DATE in provider.capabilities else None
    end = due + timedelta(days=(terms.max_payment_days if terms else tariff.max_payment_days) + 1)
    duration = int((datetime.combine(end, time(), UTC) - datetime.now(UTC)).total_seconds())
    return ChargeSpec(
        request_id=s.request_id,
        amount=amount,
        reference=s.bill.bill_id,
        duration_s=max(3600, duration),
        idempotency_key=s.request_key,
        due=terms,
        external_id=s.bill.bill_id,
    )


async def _link_all(
    book: Fieldbook,
    provider: PaymentProvider,
    stored: Iterable[StoredBill],
    report: ImportReport,
    progress: Callable[[ImportProgress], None] | None,
    concurrency: int,
) -> None:
    todo = [s for s in stored if s.request_created and not s.linked and s.bill.payment_link_id]
    if not todo:
        return
    links = linking(provider)
    linked: list[str] = []

    async def one(s: StoredBill) -> None:
        assert s.bill.payment_link_id is not None
        await links.link(s.bill.payment_link_id, s.request_id, s.link_call_key)
        report.linked += 1

    try:
        await _each(
            todo,
            one,
            report,
            concurrency,
            lambda s, r: linked.append(s.bill.bill_id),
            _ticker("linking", len(todo), progress),
        )
    finally:
        await book.set_linked(linked)
