"""Refunds of paid sales, full or partial, where the provider can (REFUND capability).

Same rules as a sale: the intent is journaled (refund ``pending``, with its
idempotency key) before the provider is asked; the provider's answer is followed
to a final status (refunded / partially_refunded / rejected) and journaled. A
refund whose answer was lost stays ``pending``: ``resume`` (run by ``recover()``)
follows it when the provider gave it an id, asks again with the same key only
where the provider's refunds are idempotent (``refunds_idempotent = True``), and
otherwise leaves it pending with the reason in words: a refund is never sent twice,
and no new refund of that sale starts until a person has looked.

That person is the manager: after checking with the provider that nothing was refunded
(a Depay refund left REJECTED, which Depay calls not final; an answer lost for good), they
close the pending refund with a note (``close``; the journal screen, or ``tillqr journal
refund SALE_ID --close REFUND_ID --note TEXT``, behind the PIN). It is then ``rejected``,
final, with the note and when it was closed, and the sale can be refunded again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NotRequired, TypedDict

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import _, lazy_, pgettext
from app.providers.base import (
    Capability,
    PaymentProvider,
    ProviderError,
    ProviderRejected,
    RefundInfo,
    RefundingProvider,
)
from app.storage.cashiers import Cashier
from app.storage.journal import Journal

from .events import EventBus, SaleChanged

log = logging.getLogger("tillqr.refunds")

REFUNDABLE = (SaleStatus.SETTLED, SaleStatus.PARTIALLY_REFUNDED)
# reasons the journal keeps in English (``.message``); the Journal screen says them in the store's language
_UNCONFIRMED = lazy_(
    "its answer was lost and the provider cannot say whether it was made; check the provider's "
    "dashboard before refunding again"
)
UNCONFIRMED = _UNCONFIRMED.message
MAY_RETRY = lazy_("rejected by the provider, which may still retry it")
FINAL = ("refunded", "partially_refunded", "rejected")
NOTE_MAX = 500  # characters of the manager's note on a closed refund


def close_hint(sale_id: str, refund: str) -> str:
    """What the manager does about a refund left pending, in words (GUI and command line)."""
    return _(
        "check with the provider; if nothing was refunded, close it with a note (Journal screen, or "
        "tillqr journal refund {sale} --close {refund} --note '...')"
    ).format(sale=sale_id, refund=refund)


def refund_name(row: Mapping[str, object]) -> str:
    """The name a refund goes by: the provider's id where it gave one, else TillQR's key."""
    return str(row.get("refund_id") or row["refund_key"])


@dataclass(frozen=True)
class ClosedRefund:
    """A refund the manager closed (``Refunds.close``): ``refund`` its name, ``closed_at`` ISO 8601 (UTC)."""

    sale_id: str
    refund: str
    status: str
    note: str
    closed_at: str


class RefundEntry(TypedDict):
    """One refund as the journal keeps it (``Journal.record_refund``)."""

    refund_key: str
    amount_minor: int
    status: str
    refund_id: NotRequired[str | None]
    provider_status: NotRequired[str]
    reason: NotRequired[str]
    cashier_id: NotRequired[int]  # who made it (cashiers by name), with their name at that time
    cashier: NotRequired[str]


class RefundError(Exception):
    """A refund that did not happen (or is not confirmed yet); the message is for the manager."""


class Refunds:
    def __init__(
        self,
        provider: PaymentProvider,
        journal: Journal,
        bus: EventBus,
        *,
        poll_interval: float = 1.0,
        follow_for: float = 30.0,
    ):
        self.provider = provider
        self.journal = journal
        self.bus = bus
        self.poll_interval = poll_interval
        self.follow_for = follow_for
        self._lock = asyncio.Lock()

    @property
    def available(self) -> bool:
        return Capability.REFUND in self.provider.capabilities and isinstance(self.provider, RefundingProvider)

    @property
    def _refunder(self) -> RefundingProvider:
        """The provider, where it refunds (each caller has checked ``available``)."""
        if not isinstance(self.provider, RefundingProvider):
            raise RefundError(_("{provider} refunds cannot be made from TillQR").format(provider=self.provider.name))
        return self.provider

    async def _record(self, sale: Sale, entry: RefundEntry) -> None:
        await self.journal.record_refund(sale, dict(entry))

    async def refund(self, sale_id: str, amount: Money | str | None = None, *, by: Cashier | None = None) -> Sale:
        """Refund ``amount`` (default: all that is refundable) of a paid sale; the sale as it ends up. ``by``: the
        cashier who makes it (kept with the refund and its journal event), None for nobody signed in."""
        if not self.available:
            raise RefundError(
                _("{provider} refunds cannot be made from TillQR; use the provider's own dashboard").format(
                    provider=self.provider.name
                )
            )
        async with self._lock:
            sale = await self.journal.get(sale_id)
            if sale is None:
                raise RefundError(_("there is no sale {sale} in the journal").format(sale=sale_id))
            if sale.provider != self.provider.name:
                raise RefundError(
                    _(
                        "that sale was made with {provider}; this till now uses {till}, which knows nothing of it"
                    ).format(provider=sale.provider, till=self.provider.name)
                )
            if sale.status not in REFUNDABLE:
                raise RefundError(
                    _("only paid sales can be refunded; this one is {status}").format(status=sale.status.label.lower())
                )
            money = (
                sale.refundable
                if amount is None
                else (amount if isinstance(amount, Money) else Money.parse(amount, sale.amount.currency))
            )
            if money.currency != sale.amount.currency:
                raise RefundError(
                    _("the sale was in {currency}, not {other}").format(
                        currency=sale.amount.currency, other=money.currency
                    )
                )
            if money.minor <= 0 or money.minor > sale.refundable.minor:
                raise RefundError(
                    _("at most {amount} of this sale can be refunded").format(amount=sale.refundable.display())
                )
            earlier = await self.journal.refunds(sale_id)
            waiting = next((r for r in earlier if r["status"] == "pending"), None)
            if waiting is not None:
                raise RefundError(
                    _(
                        "an earlier refund of this sale ({refund}) is not confirmed yet: run recover, or {hint}, "
                        "before refunding again"
                    ).format(refund=refund_name(waiting), hint=close_hint(sale_id, refund_name(waiting)))
                )
            n = len(earlier) + 1
            entry: RefundEntry = {
                "refund_key": sale.idempotency_key(f"refund-{n}"),
                "amount_minor": money.minor,
                "status": "pending",
            }
            if by is not None:
                entry["cashier_id"], entry["cashier"] = by.id, by.name
            await self._record(sale, entry)  # intent before the call
            return await self._ask(sale, entry, money)

    async def _ask(self, sale: Sale, entry: RefundEntry, money: Money) -> Sale:
        try:
            info = await self._refunder.refund(sale.request_id or sale.sale_id, money, entry["refund_key"])
        except ProviderRejected as exc:
            await self.journal.record_refund(sale, {**entry, "status": "rejected", "reason": exc.message})
            raise RefundError(_("the provider refused the refund: {reason}").format(reason=exc.message)) from exc
        except ProviderError as exc:
            if getattr(exc, "nothing_sent", False):  # it failed before any refund was asked for
                await self.journal.record_refund(
                    sale, {**entry, "status": "rejected", "reason": f"not sent: {exc.message}"}
                )
                raise RefundError(
                    _("nothing was refunded: {reason}. Try again when the provider answers").format(reason=exc.message)
                ) from exc
            known = getattr(exc, "refund_id", None)  # the provider can name it before it answers (Depay)
            if known:
                await self.journal.record_refund(sale, {**entry, "refund_id": known})
                raise RefundError(
                    _(
                        "the refund is not confirmed ({reason}); its outcome is read from the provider at the next "
                        "start or recover, and it is never sent twice"
                    ).format(reason=exc.message)
                ) from exc
            if getattr(self.provider, "refunds_idempotent", False):
                raise RefundError(
                    _(
                        "the refund is not confirmed ({reason}); it is asked again with the same key, never made "
                        "twice, at the next start or recover"
                    ).format(reason=exc.message)
                ) from exc
            raise RefundError(
                _("the refund is not confirmed ({reason}): {why}").format(reason=exc.message, why=_UNCONFIRMED)
            ) from exc
        entry = {**entry, "refund_id": info.refund_id, "status": info.status, "provider_status": info.provider_status}
        await self._record(sale, entry)
        info = await self._follow(sale, info)
        return await self._apply(sale, entry, info, money)

    async def _follow(self, sale: Sale, info: RefundInfo) -> RefundInfo:
        loop = asyncio.get_running_loop()
        end = loop.time() + self.follow_for
        while info.status not in FINAL and loop.time() < end:
            await asyncio.sleep(self.poll_interval)
            try:
                info = await self._refunder.get_refund(sale.request_id or sale.sale_id, info.refund_id)
            except ProviderError as exc:
                log.warning("refund %s: status unavailable (%s)", info.refund_id, exc)
        return info

    async def _apply(self, sale: Sale, entry: RefundEntry, info: RefundInfo, money: Money) -> Sale:
        unchanged = info.status == entry.get("status") and info.provider_status == entry.get("provider_status")
        entry = {**entry, "status": info.status, "provider_status": info.provider_status}
        if info.status not in FINAL and info.provider_status == "REJECTED":
            # Depay: REJECTED "encountered an error" but is not final; it stays pending until a person has looked
            if not unchanged:
                await self._record(sale, {**entry, "reason": MAY_RETRY.message})
            raise RefundError(
                _("the provider rejected the refund of {amount} ({status}) but may still retry it: {hint}").format(
                    amount=money.display(), status=info.provider_status, hint=close_hint(sale.sale_id, info.refund_id)
                )
            )
        still = _(
            "the refund of {amount} is still {status} at the provider; it is followed again at the next start or recover"
        )
        if info.status not in FINAL and unchanged:  # asked again, nothing new: no journal entry each time
            raise RefundError(still.format(amount=money.display(), status=info.provider_status))
        if info.status == "rejected":
            await self._record(sale, entry)
            raise RefundError(_("the provider rejected the refund ({status})").format(status=info.provider_status))
        if info.status not in FINAL:
            await self._record(sale, entry)
            raise RefundError(still.format(amount=money.display(), status=info.provider_status))
        fresh = await self.journal.get(sale.sale_id) or sale
        refunded = fresh.refunded + money
        status = SaleStatus.REFUNDED if refunded.minor >= fresh.received.minor else SaleStatus.PARTIALLY_REFUNDED
        fresh = fresh.move(status, amount_refunded=refunded, reason=f"refunded {refunded.display()}")
        await self._record(fresh, entry)
        log.info("sale %s refunded %s (%s)", fresh.sale_id, money.display(), info.provider_status)
        self.bus.publish(SaleChanged(fresh))
        return fresh

    async def close(self, sale_id: str, refund: str, note: str) -> ClosedRefund:
        """Close a pending refund of ``sale_id`` (named by its refund id or key) once the manager has checked
        with the provider that nothing was refunded: ``rejected``, final, with ``note``; it no longer blocks
        the sale's next refund. The refund as the journal now keeps it."""
        note = "".join(c if c.isprintable() else " " for c in note or "")
        note = " ".join(note.split())
        if not note:
            raise RefundError(_("say in a note what the provider said about this refund"))
        if len(note) > NOTE_MAX:
            raise RefundError(_("the note is {n} characters long; at most {most}").format(n=len(note), most=NOTE_MAX))
        async with self._lock:  # not while a refund or a recover() of the same sale is under way
            sale = await self.journal.get(sale_id)
            if sale is None:
                raise RefundError(_("there is no sale {sale} in the journal").format(sale=sale_id))
            rows = await self.journal.refunds(sale_id)
            row = next((r for r in rows if refund in (r["refund_id"], r["refund_key"])), None)
            if row is None:
                names = ", ".join(refund_name(r) for r in rows) or pgettext("refunds", "none")
                raise RefundError(
                    _("sale {sale} has no refund {refund} (its refunds: {names})").format(
                        sale=sale_id, refund=refund, names=names
                    )
                )
            if row["status"] != "pending" or not await self.journal.close_refund(sale, row["refund_key"], note):
                raise RefundError(
                    _("refund {refund} is {status}: only a refund still pending can be closed").format(
                        refund=refund, status=row["status"]
                    )
                )
            log.info("refund %s of sale %s closed by the manager: %s", refund_name(row), sale_id, note)
            self.bus.publish(SaleChanged(sale))
            now = next(r for r in await self.journal.refunds(sale_id) if r["refund_key"] == row["refund_key"])
            return ClosedRefund(sale_id, refund_name(now), now["status"], now["note"], now["closed_at"])

    async def resume(self) -> list[Sale]:
        """Finish refunds left pending by a lost answer or a crash (same idempotency key: never twice)."""
        if not self.available:
            return []
        done: list[Sale] = []
        for row in await self.journal.pending_refunds():
            sale = await self.journal.get(row["sale_id"])
            if sale is None:
                continue
            entry = RefundEntry(
                refund_key=row["refund_key"],
                refund_id=row["refund_id"],
                amount_minor=row["amount_minor"],
                status=row["status"],
                provider_status=row["provider_status"],
            )
            money = Money(row["amount_minor"], sale.amount.currency)
            if not row["refund_id"] and not getattr(self.provider, "refunds_idempotent", False):
                # The answer was lost and this provider cannot tell a retry from a new refund: sending it
                # again could refund twice. It stays pending, in words, for a person to check.
                if row["reason"] != UNCONFIRMED:  # said once in the journal, not at every recover()
                    await self.journal.record_refund(sale, {**entry, "reason": UNCONFIRMED})
                log.warning("refund %s of sale %s: %s", row["refund_key"], sale.sale_id, UNCONFIRMED)
                continue
            try:
                async with self._lock:
                    # Read again under the lock: a recover() running alongside may have finished it
                    # (applying it twice would count the refund twice in the sale's total).
                    now = next(
                        (r for r in await self.journal.refunds(sale.sale_id) if r["refund_key"] == row["refund_key"]),
                        None,
                    )
                    if now is None or now["status"] != "pending":
                        continue
                    sale = await self.journal.get(row["sale_id"]) or sale
                    if row["refund_id"]:
                        # One look, not a follow: a refund the provider keeps pending (Depay's REJECTED is
                        # "not final") must not hold every start-up for half a minute.
                        info = await self._refunder.get_refund(sale.request_id or sale.sale_id, row["refund_id"])
                        done.append(await self._apply(sale, entry, info, money))
                    else:
                        done.append(await self._ask(sale, entry, money))
            except (RefundError, ProviderError) as exc:
                log.warning("refund %s of sale %s not finished: %s", row["refund_key"], sale.sale_id, exc)
        return done
