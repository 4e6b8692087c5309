"""Reconciliation: what the provider says was paid on a business day, against what the devices reported.

For a business day (the store's date: a sale is filed under its ``created_at``'s date where the device is, as
``batches`` files it) and a provider that can search (``Capability.SEARCH``), ``reconcile`` lists the provider's
payment requests created in that day (from midnight to midnight in ``zone``, the back office machine's own by
default) and compares them with the ``sales`` projection (a sale's ``request_id``, ``status`` and amounts from its
latest record). Three groups of findings (``Kind``):

- ``PAID_NOT_REPORTED``: paid at the provider, no device reported it paid: not held at all (``held_status``
  None), or held as pending, linked, expired, failed … (``held_status`` says which);
- ``REPORTED_NOT_PAID``: a device reported it paid, the provider says it is not (``provider_status``) or does not
  know the request (``provider_status`` None);
- ``AMOUNT_DIFFERS``: both say paid, the amounts (or currencies) differ.

"Paid" is settled, refunded or partially refunded (money arrived; a refund is a sale's own later story). Amounts
are exact: the provider's ``Money`` and the payloads' decimal strings, compared as Decimal. A request that carries
an ``external_id`` is a field agent's bill (``app.fieldwork``), reported by readings, not sales: it is left out.
A request the search lists that a device holds under another day belongs to that day's run and is skipped here;
a sale of this day reported paid whose request the search did not list (created just across midnight at the
provider) is asked for on its own (``get_request``). Each run is stored with its findings (migration 0005), so
the ``/reconcile`` page shows the last one and when it ran.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

import psycopg
from psycopg.rows import class_row

from app.domain.sale import SaleStatus
from app.i18n import _
from app.providers.base import (
    Capability,
    PaymentProvider,
    ProviderNotFound,
    RequestInfo,
    SearchingProvider,
    searching,
)
from app.providers.registry import SPECS

from .batches import finite_decimal

if TYPE_CHECKING:
    from app.runtime import ProviderHandle

log = logging.getLogger("tillqr.backoffice.reconcile")

PAID = frozenset({SaleStatus.SETTLED.value, SaleStatus.REFUNDED.value, SaleStatus.PARTIALLY_REFUNDED.value})


class Kind(StrEnum):
    """A finding's group."""

    PAID_NOT_REPORTED = "paid_not_reported"
    REPORTED_NOT_PAID = "reported_not_paid"
    AMOUNT_DIFFERS = "amount_differs"


def group_title(kind: Kind) -> str:
    """A group's title, in the language in force (the page's heading; the command line's, with a colon)."""
    if kind is Kind.PAID_NOT_REPORTED:
        return _("Paid at the provider, not reported paid by any device")
    if kind is Kind.REPORTED_NOT_PAID:
        return _("Reported paid by a device, not paid at the provider")
    return _("Paid on both sides, the amounts differ")


class CannotSearch(Exception):
    """The provider cannot list its payment requests: there is nothing to reconcile against (nothing stored)."""


@dataclass(frozen=True)
class Finding:
    kind: Kind
    request_id: str
    sale_id: str | None  # the sale holding the request, when a device reported one
    held_status: str | None  # as the device reported it; None: not held
    provider_status: str | None  # TillQR's word for the provider's status; None: the provider does not know it
    provider_amount: Decimal | None  # paid, says the provider
    held_amount: Decimal | None  # received, says the device
    currency: str


@dataclass(frozen=True)
class Run:
    id: int
    provider: str
    day: date
    started_at: datetime
    finished_at: datetime
    requests_seen: int
    sales_seen: int
    run_by: str
    findings: tuple[Finding, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.findings

    def of(self, kind: Kind) -> list[Finding]:
        return [f for f in self.findings if f.kind is kind]


@dataclass(frozen=True)
class HeldSale:
    """A sale as the ``sales`` projection holds it."""

    sale_id: str
    request_id: str
    status: str
    amount: Decimal | None
    received: Decimal | None
    currency: str
    business_day: date

    @property
    def reported_paid(self) -> bool:
        return self.status in PAID

    @property
    def paid_amount(self) -> Decimal | None:
        """What the device says arrived: its amount received, else (none recorded) the sale's amount."""
        return self.received if self.received is not None else self.amount


def searcher(provider: PaymentProvider) -> SearchingProvider:
    """``provider`` as one that searches; ``CannotSearch`` with words for a person otherwise."""
    try:
        return searching(provider)
    except TypeError:
        raise CannotSearch(
            _(
                "{provider} cannot list its payment requests, so there is nothing to reconcile against:"
                " reconciliation needs a provider that can search (J.P. Morgan)."
            ).format(provider=provider.name)
        ) from None


def searching_provider(configured: str | None, demo: bool) -> str | None:
    """Which provider to reconcile: in demo mode the first sandbox provider that can search; else the store's."""
    if demo:
        return next(s.name for s in SPECS if Capability.SEARCH in s.capabilities)
    return configured


async def open_searching(demo: bool | None = None) -> ProviderHandle:
    """The chain's provider as this machine is set up (its settings and keyring, as a till builds it), or in demo
    mode (``demo``, or nothing set up) the embedded sandbox's first provider that can search. Close it with
    ``aclose()``. ``CannotStart`` when the configured one cannot be built."""
    from app.config import settings as settings_mod  # lazy: a provider is opened only to reconcile
    from app.runtime import load_settings, open_provider  # lazy: as above (the runtime's provider building)

    _paths, configured = load_settings()
    demo = bool(demo) or configured is None or bool(settings_mod.missing_setup(configured))
    name = searching_provider(configured.provider if configured else None, demo)
    return await open_provider(demo=demo, provider=name)


def day_window(day: date, zone: tzinfo | None = None) -> tuple[datetime, datetime]:
    """The business day from midnight to midnight in ``zone`` (None: this machine's), as aware times."""
    where = zone if zone is not None else datetime.now().astimezone().tzinfo
    start = datetime.combine(day, time(), tzinfo=where)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=where)
    return start, end


def compare(
    day: date, requests: Iterable[RequestInfo], held: Sequence[HeldSale], asked: Iterable[RequestInfo | str] = ()
) -> list[Finding]:
    """The findings: ``requests`` the search listed, ``held`` the sales that hold any of them or are of ``day``,
    ``asked`` what ``get_request`` said of the day's paid sales the search missed (a request id alone: unknown to
    the provider). Ordered by group, then request id."""
    by_request = {s.request_id: s for s in held}
    found: list[Finding] = []
    for r in [*requests, *asked]:
        if isinstance(r, str):
            found.append(_finding(Kind.REPORTED_NOT_PAID, r, by_request[r], None))
            continue
        sale = by_request.get(r.request_id)
        if sale is not None and sale.business_day != day:
            continue  # that day's run tells of it
        provider_paid = r.status.value in PAID
        if provider_paid and (sale is None or not sale.reported_paid):
            found.append(_finding(Kind.PAID_NOT_REPORTED, r.request_id, sale, r))
        elif not provider_paid and sale is not None and sale.reported_paid:
            found.append(_finding(Kind.REPORTED_NOT_PAID, r.request_id, sale, r))
        elif provider_paid and sale is not None and not _same_money(r, sale):
            found.append(_finding(Kind.AMOUNT_DIFFERS, r.request_id, sale, r))
    order = list(Kind)
    return sorted(found, key=lambda f: (order.index(f.kind), f.request_id))


def _same_money(r: RequestInfo, sale: HeldSale) -> bool:
    return r.amount_paid.currency == sale.currency and r.amount_paid.amount == sale.paid_amount


def _finding(kind: Kind, request_id: str, sale: HeldSale | None, r: RequestInfo | None) -> Finding:
    return Finding(
        kind,
        request_id,
        sale.sale_id if sale else None,
        sale.status if sale else None,
        r.status.value if r else None,
        r.amount_paid.amount if r else None,
        sale.paid_amount if sale else None,
        r.amount_paid.currency if r else (sale.currency if sale else ""),
    )


async def reconcile(
    conn: psycopg.AsyncConnection,
    provider: PaymentProvider,
    day: date,
    *,
    zone: tzinfo | None = None,
    run_by: str = "",
) -> Run:
    """Compares ``day`` at ``provider`` with the sales held, stores the run and its findings, and returns it.
    ``CannotSearch`` (nothing stored) when the provider cannot list its requests; the provider's own errors
    (``ProviderUnavailable`` …) reach the caller, nothing stored either."""
    search = searcher(provider)
    started = datetime.now(UTC)
    start, end = day_window(day, zone)
    listed = [r for r in await search.search_requests(created_from=start, created_to=end) if r.external_id is None]
    of_day = await _held(conn, "s.business_day = %s AND s.provider = %s", (day, provider.name))
    known = {s.request_id for s in of_day}
    others = [r.request_id for r in listed if r.request_id not in known]  # held under another day, or not at all
    elsewhere = (
        await _held(conn, "s.payload->>'request_id' = ANY(%s) AND s.provider = %s", (others, provider.name))
        if others
        else []
    )
    listed_ids = {r.request_id for r in listed}
    asked: list[RequestInfo | str] = []
    for sale in of_day:
        if sale.reported_paid and sale.request_id not in listed_ids:
            try:
                asked.append(await provider.get_request(sale.request_id))
            except ProviderNotFound:
                asked.append(sale.request_id)
    findings = compare(day, listed, [*of_day, *elsewhere], asked)
    run = await _store(conn, provider.name, day, started, len(listed), len(of_day), run_by, findings)
    log.info("reconciled %s on %s: %d requests, %d sales, %d findings", provider.name, day, len(listed),
             len(of_day), len(findings))  # fmt: skip
    return run


_HELD = """
SELECT s.sale_id, s.payload->>'request_id' AS request_id, s.status, s.amount,
    s.payload->>'amount_received' AS received, s.currency, s.business_day
FROM sales s WHERE coalesce(s.payload->>'request_id', '') <> '' AND {where}
ORDER BY s.sale_id
"""


async def _held(conn: psycopg.AsyncConnection, where: str, params: tuple[object, ...]) -> list[HeldSale]:
    cur = await conn.execute(_HELD.format(where=where).encode(), params)
    return [
        HeldSale(
            str(sale_id), str(request_id), str(status), amount, finite_decimal(received), str(currency), business_day
        )
        for sale_id, request_id, status, amount, received, currency, business_day in await cur.fetchall()
    ]


async def _store(
    conn: psycopg.AsyncConnection,
    provider: str,
    day: date,
    started: datetime,
    requests_seen: int,
    sales_seen: int,
    run_by: str,
    findings: list[Finding],
) -> Run:
    async with conn.transaction():
        cur = await conn.execute(
            "INSERT INTO reconciliation_runs (provider, day, started_at, requests_seen, sales_seen, run_by)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id, finished_at",
            (provider, day, started, requests_seen, sales_seen, run_by),
        )
        row = await cur.fetchone()
        assert row is not None
        run_id, finished = row
        async with conn.cursor() as many:
            await many.executemany(
                "INSERT INTO reconciliation_findings (run_id, kind, request_id, sale_id, held_status,"
                " provider_status, provider_amount, held_amount, currency) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        run_id,
                        f.kind.value,
                        f.request_id,
                        f.sale_id,
                        f.held_status,
                        f.provider_status,
                        f.provider_amount,
                        f.held_amount,
                        f.currency,
                    )  # fmt: skip
                    for f in findings
                ],
            )
    return Run(int(run_id), provider, day, started, finished, requests_seen, sales_seen, run_by, tuple(findings))


async def last_run(conn: psycopg.AsyncConnection, day: date | None = None) -> Run | None:
    """The latest run (of ``day``, when given) with its findings; None when there has been none."""
    async with conn.cursor(row_factory=class_row(Run)) as cur:
        await cur.execute(
            "SELECT id, provider, day, started_at, finished_at, requests_seen, sales_seen, run_by"
            " FROM reconciliation_runs WHERE %(day)s::date IS NULL OR day = %(day)s::date"
            " ORDER BY finished_at DESC, id DESC LIMIT 1",
            {"day": day},
        )
        row = await cur.fetchone()
    if row is None:
        return None
    cur2 = await conn.execute(
        "SELECT kind, request_id, sale_id, held_status, provider_status, provider_amount, held_amount, currency"
        " FROM reconciliation_findings WHERE run_id = %s ORDER BY id",
        (row.id,),
    )
    return replace(row, findings=tuple(Finding(Kind(k), *rest) for k, *rest in await cur2.fetchall()))
