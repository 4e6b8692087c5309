"""The outbox pushed to the provider: each reading's charge set on its bill's payment request, exactly once.

How exactly once holds, whatever stops a sync (the network, SIGKILL, Ctrl-C):

- every entry's idempotency key was stored with its reading, before any send (``app.storage.fieldbook``);
  a sync run again sends the same entries with the same keys, and the provider answers a replay with what
  it did the first time, so an update whose answer was lost is applied once and learned the second time;
- the provider's answers are written in batches (``FLUSH``): losing a batch costs replays, never a double;
- one bill's entries go in the order they were written, one at a time; bills go side by side, at most
  ``concurrency`` at once (the provider has no bulk update; bulk creation is the import's).

The sync never overwrites what changed at the provider. An update carries the request's revision TillQR last
saw (its version check); a refusal — the request paid, cancelled, expired or returned there, or changed since
(a revision mismatch), or unknown — makes the bill a **conflict** with the provider's truth as its reason
(one extra read to learn it). What the agent decides then (re-issue or drop) is a new outbox entry.

Offline is known from a failed probe, not a guess: the sync asks first (``ping``) and stops at the first call
the network fails (after the provider client's own retries, ``app.retry.PROVIDER_CALL``); what was not
answered stays pending.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.domain.tariffs import Tariff
from app.i18n import _
from app.providers.base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    RequestInfo,
    linking,
    updating,
)
from app.storage.fieldbook import Applied, EntryKind, EntryState, Fieldbook, OutboxEntry, StoredBill, SyncState

from .billing import tariff_of, terms_for

log = logging.getLogger(__name__)
T = TypeVar("T")

FLUSH = 100  # answers written per transaction
CONCURRENCY = 16  # bills in flight at once


@dataclass(frozen=True)
class SyncProgress:
    done: int
    total: int
    synced: int
    conflicts: int


@dataclass(frozen=True)
class Planned:
    bill_id: str
    kind: EntryKind
    amount: Money


@dataclass(frozen=True)
class SyncReport:
    """The end of a sync, for the summary: what went, what waits, what the agent must decide."""

    synced: int  # entries the provider took in this run
    pending: int  # entries still waiting (offline, or stopped)
    conflicts: tuple[tuple[str, str], ...]  # (bill id, reason) of every bill in conflict now
    offline: bool
    dry_run: bool = False
    calls: int = 0  # provider calls made
    planned: tuple[Planned, ...] = ()  # dry run: what would be sent
    waiting_import: tuple[str, ...] = ()  # bills with a reading but not yet at the provider (import unfinished)

    @property
    def exit_code(self) -> int:
        """The command line's: 0 all synced (or a dry run), 3 offline or still pending (nothing lost: run it again;
        offline wins over conflicts, which the next sync reports again), 4 some bills in conflict."""
        if self.dry_run:
            return 0
        if self.offline:
            return 3
        if self.conflicts:
            return 4
        return 0 if self.pending == 0 else 3


class _StepRefused(Exception):
    """A step of a re-issue the provider refused; the message says which (the bill's conflict reason)."""


async def _step(what: str, call: Awaitable[T]) -> T:
    try:
        return await call
    except ProviderAuthError:
        raise
    except ProviderRejected as exc:
        raise _StepRefused(_("re-issue: {step} ({reason})").format(step=what, reason=exc.message)) from exc


class Offline(Exception):
    """The provider could not be reached (after its retries): the rest waits for the network."""


def _key(base: str, purpose: str) -> str:
    """A second idempotency key derived from a stored one (the same every run): cancel and link of a re-issue."""
    return uuid.uuid5(uuid.UUID(hex=base), purpose).hex


def _why(info: RequestInfo, exc: ProviderError, ours: Money | None) -> str:
    """The provider's truth about a refused update, in the agent's words."""
    status = info.status
    if status in (SaleStatus.SETTLED, SaleStatus.REFUNDED, SaleStatus.PARTIALLY_REFUNDED):
        return _("paid at the provider before this reading was sent ({amount} received)").format(
            amount=info.amount_paid.display()
        )
    if status is SaleStatus.PROCESSING:
        return _("being paid at the provider right now")
    if status is SaleStatus.CANCELLED:
        return _("cancelled at the provider")
    if status is SaleStatus.EXPIRED:
        return _("expired at the provider without being paid")
    if status is SaleStatus.RETURNED:
        return _("its payment was returned by the provider")
    if status is SaleStatus.FAILED:
        return _("failed at the provider")
    if ours is not None and info.amount != ours:
        return _("changed at the provider: it now asks {amount}, TillQR had set {ours}").format(
            amount=info.amount.display(), ours=ours.display()
        )
    return _("changed at the provider since TillQR last saw it ({reason})").format(reason=exc.message)


@dataclass
class _Run:
    book: Fieldbook
    provider: PaymentProvider
    tariffs: Mapping[str, Tariff]
    total: int
    progress: Callable[[SyncProgress], None] | None
    durable: Callable[[], Awaitable[None]] | None = None
    results: list[Applied] = field(default_factory=list)
    done: int = 0
    synced: int = 0
    conflicts: int = 0
    calls: int = 0
    offline: bool = False
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    flushing: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def lane(self, entries: Sequence[tuple[OutboxEntry, StoredBill]]) -> None:
        revision = entries[0][1].revision
        for entry, bill in entries:
            if self.stop.is_set():
                return
            try:
                applied = await self.send(entry, bill, revision)
            except (Offline, asyncio.CancelledError):
                self.offline = True
                self.stop.set()
                return
            self.results.append(applied)
            self.done += 1
            if applied.state is EntryState.SYNCED:
                self.synced += 1
                revision = applied.revision
            else:
                self.conflicts += 1
            if self.progress:
                self.progress(SyncProgress(self.done, self.total, self.synced, self.conflicts))
            if len(self.results) >= FLUSH:
                await self.flush()
            if applied.state is EntryState.CONFLICT:
                return  # what follows for this bill waits for the agent's decision

    async def flush(self) -> None:
        async with self.flushing:
            batch, self.results = self.results, []
            if batch:
                if self.durable is not None:
                    await self.durable()
                await self.book.apply(batch)

    async def send(self, entry: OutboxEntry, bill: StoredBill, revision: int | None) -> Applied:
        tariff = tariff_of(bill.bill, self.tariffs)
        try:
            if entry.kind is EntryKind.REISSUE:
                return await self.reissue(entry, bill, tariff)
            terms = self.terms(tariff, entry)
            self.calls += 1
            info = await updating(self.provider).update_request(
                entry.request_id, entry.amount, revision=revision, idempotency_key=entry.idempotency_key, due=terms
            )
            return Applied(entry.entry_id, entry.bill_id, EntryState.SYNCED, info.revision, info.amount)
        except ProviderAuthError:
            raise
        except _StepRefused as exc:
            return Applied(entry.entry_id, entry.bill_id, EntryState.CONFLICT, reason=str(exc))
        except ProviderRejected as exc:
            if exc.status_code in (404, 409, 412) or isinstance(exc, ProviderNotFound):
                return await self.conflict(entry, bill, exc)  # the request's state: the provider's truth says why
            return Applied(  # the provider refused what was sent (its validation): not a change made there
                entry.entry_id,
                entry.bill_id,
                EntryState.CONFLICT,
                reason=_("refused by the provider: {reason}").format(reason=exc.message),
            )
        except ProviderError as exc:  # unavailable, or an answer that could not be read: the network's
            if not self.stop.is_set():
                log.info("sync stopped at bill %s: %s", entry.bill_id, exc)
            raise Offline(str(exc)) from exc

    def terms(self, tariff: Tariff, entry: OutboxEntry, amount: Money | None = None) -> DueTerms | None:
        if entry.due_date is None or Capability.DUE_DATE not in self.provider.capabilities:
            return None
        return terms_for(tariff, amount or entry.amount, entry.due_date)

    async def conflict(self, entry: OutboxEntry, bill: StoredBill, exc: ProviderRejected) -> Applied:
        request_id = bill.request_id
        try:
            self.calls += 1
            info = await self.provider.get_request(request_id)
        except ProviderNotFound:
            reason = _("the payment request is unknown at the provider")
        except ProviderRejected:
            reason = _("refused by the provider: {reason}").format(reason=exc.message)
        else:
            reason = _why(info, exc, bill.amount)
        return Applied(entry.entry_id, entry.bill_id, EntryState.CONFLICT, reason=reason)

    async def reissue(self, entry: OutboxEntry, bill: StoredBill, tariff: Tariff) -> Applied:
        """A new payment request for the reading (the old one finished, or changed at the provider), linked."""
        amount = entry.amount
        if bill.request_created:
            try:
                self.calls += 1
                old = await self.provider.get_request(bill.request_id)
            except ProviderNotFound:
                old = None
            if old is not None and old.request_id != entry.request_id:
                if old.status in (SaleStatus.SETTLED, SaleStatus.PARTIALLY_REFUNDED):
                    if old.amount_paid.minor >= amount.minor:  # already paid in full: nothing more to ask
                        return Applied(
                            entry.entry_id, entry.bill_id, EntryState.SYNCED, old.revision, old.amount, old.request_id
                        )
                    amount = amount - old.amount_paid
                elif old.status.is_open:
                    self.calls += 1
                    await _step(
                        _("the old payment request could not be cancelled"),
                        self.provider.cancel_request(old.request_id, _key(entry.idempotency_key, "cancel")),
                    )
        terms = self.terms(tariff, entry, amount)
        end = terms.due_date + timedelta(days=terms.max_payment_days + 1) if terms else entry.due_date
        until = datetime.combine(end or date.today() + timedelta(days=tariff.due_days), time(), UTC)
        spec = ChargeSpec(
            request_id=entry.request_id,
            amount=amount,
            reference=bill.bill.bill_id,
            duration_s=max(3600, int((until - datetime.now(UTC)).total_seconds())),
            idempotency_key=entry.idempotency_key,
            due=terms,
            external_id=bill.bill.bill_id,
        )
        self.calls += 2
        created = await _step(_("the provider refused the new payment request"), self.provider.create_request(spec))
        assert bill.bill.payment_link_id is not None, "a bill at the provider has its link"
        await _step(
            _("the new payment request could not be linked to the bill's QR"),
            linking(self.provider).link(
                bill.bill.payment_link_id, entry.request_id, _key(entry.idempotency_key, "link")
            ),
        )
        return Applied(entry.entry_id, entry.bill_id, EntryState.SYNCED, created.revision, created.amount)


async def push(
    book: Fieldbook,
    provider: PaymentProvider | None,
    tariffs: Mapping[str, Tariff],
    progress: Callable[[SyncProgress], None] | None = None,
    *,
    dry_run: bool = False,
    concurrency: int = CONCURRENCY,
    durable: Callable[[], Awaitable[None]] | None = None,
) -> SyncReport:
    """Send every pending outbox entry; the report says what was synced, what waits and what is in conflict.

    ``durable`` (when given) is awaited before answers are written: the provider's side must have kept what it
    answered (the embedded demo sandbox saves its state in the background) before the field book says so."""
    pending = await book.pending()
    if dry_run:
        planned = tuple(Planned(e.bill_id, e.kind, e.amount) for e, _ in pending)
        return SyncReport(0, len(pending), await _conflicts(book), offline=False, dry_run=True, planned=planned)
    if provider is None:
        raise ValueError("a sync needs the provider (only a dry run does without)")
    run = _Run(book, provider, tariffs, 0, progress, durable=durable)
    if pending:
        try:
            run.calls += 1
            await provider.ping()
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            log.info("sync: the provider cannot be reached (%s)", exc)
            return await _report(book, run, offline=True)
        claimed = await book.pending(claim=True)  # one transaction: what goes now, marked attempted
        run.total = len(claimed)
        lanes: dict[str, list[tuple[OutboxEntry, StoredBill]]] = {}
        for entry, bill in claimed:
            lanes.setdefault(entry.bill_id, []).append((entry, bill))
        queue = list(lanes.values())
        queue.reverse()

        async def worker() -> None:
            while queue and not run.stop.is_set():
                await run.lane(queue.pop())

        try:
            await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(queue))))))
        finally:
            await asyncio.shield(run.flush())
    return await _report(book, run, offline=run.offline)


async def _report(book: Fieldbook, run: _Run, *, offline: bool) -> SyncReport:
    waiting = [b.bill.bill_id for b in await book.bills() if b.sync_state is SyncState.PENDING and not b.at_provider]
    counts = await book.counts()
    return SyncReport(
        synced=run.synced,
        pending=counts[SyncState.PENDING],
        conflicts=await _conflicts(book),
        offline=offline,
        calls=run.calls,
        waiting_import=tuple(waiting),
    )


async def _conflicts(book: Fieldbook) -> tuple[tuple[str, str], ...]:
    return tuple((b.bill.bill_id, b.reason) for b in await book.bills() if b.sync_state is SyncState.CONFLICT)
