"""``tillqr backoffice reconcile [--day D] [--json] [--demo]``: the provider's payment requests of a business day
against the sales the devices reported (``app.backoffice.reconcile``), the run stored for the ``/reconcile`` page.

The provider is the one configured on this machine (the store's settings and keyring, as a till builds it); in
demo mode (``--demo``, or nothing configured) the embedded sandbox's, the first provider that can search. Exit 0
when the provider and the devices agree, 4 when there are findings (listed), 3 when the provider cannot be
reached (nothing stored), 1 on an error (a provider that cannot search, a day that is no date) with the reason.

``--json`` prints one object: ``{"run_id", "provider", "day", "started_at", "finished_at", "requests", "sales",
"findings": [{"kind", "request_id", "sale_id", "held_status", "provider_status", "provider_amount",
"held_amount", "currency"}]}`` (amounts as decimal strings, null where there is none).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date

import psycopg

from app.backoffice.pages_render import money, status
from app.backoffice.reconcile import CannotSearch, Finding, Kind, Run, group_title, open_searching, reconcile
from app.commands.cli_support import demo_flag, emit, err, note, say
from app.i18n import _, format_date, format_datetime, ngettext
from app.providers.base import ProviderError, ProviderUnavailable
from app.runtime import CannotStart

EXIT_CLEAN = 0
EXIT_ERROR = 1
EXIT_UNREACHABLE = 3
EXIT_FINDINGS = 4


def heading(kind: Kind) -> str:
    """A group's heading, in the language set when the command runs."""
    return group_title(kind) + ":"


def run(args: argparse.Namespace, dsn: str) -> int:
    try:
        day = date.fromisoformat(args.day) if args.day else date.today()
    except ValueError:
        err(_("{day} is not a day (YYYY-MM-DD).").format(day=args.day))
        return EXIT_ERROR
    try:
        done = asyncio.run(_reconcile(dsn, day, demo_flag(args), quiet=bool(args.json)))
    except (CannotSearch, CannotStart) as exc:
        err(str(exc))
        return EXIT_ERROR
    except ProviderUnavailable as exc:
        err(_("the provider cannot be reached, nothing was compared: {reason}").format(reason=str(exc.words)))
        return EXIT_UNREACHABLE
    except ProviderError as exc:
        err(str(exc.words))
        return EXIT_ERROR
    if args.json:
        emit(run_json(done))
    else:
        _print(done)
    return EXIT_CLEAN if done.clean else EXIT_FINDINGS


async def _reconcile(dsn: str, day: date, demo: bool | None, *, quiet: bool) -> Run:
    handle = await open_searching(demo)
    try:
        if handle.demo and not quiet:
            note(_("demo mode: {mode}").format(mode=handle.mode_text))
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            return await reconcile(conn, handle.provider, day)
    finally:
        await handle.aclose()


def run_json(done: Run) -> dict[str, object]:
    return {
        "run_id": done.id,
        "provider": done.provider,
        "day": done.day.isoformat(),
        "started_at": done.started_at.isoformat(),
        "finished_at": done.finished_at.isoformat(),
        "requests": done.requests_seen,
        "sales": done.sales_seen,
        "findings": [
            {
                "kind": f.kind.value,
                "request_id": f.request_id,
                "sale_id": f.sale_id,
                "held_status": f.held_status,
                "provider_status": f.provider_status,
                "provider_amount": None if f.provider_amount is None else str(f.provider_amount),
                "held_amount": None if f.held_amount is None else str(f.held_amount),
                "currency": f.currency,
            }
            for f in done.findings
        ],
    }


def _print(done: Run) -> None:
    say(
        _("{provider}, {day}: {requests} at the provider, {sales} reported by the devices (run {time})").format(
            provider=done.provider,
            day=format_date(done.day),
            requests=ngettext("{n} payment request", "{n} payment requests", done.requests_seen).format(
                n=done.requests_seen
            ),
            sales=ngettext("{n} sale", "{n} sales", done.sales_seen).format(n=done.sales_seen),
            time=format_datetime(done.finished_at),
        )
    )
    if done.clean:
        say(_("The provider and the devices agree."))
        return
    for kind in Kind:
        found = done.of(kind)
        if found:
            say(heading(kind))
            for f in found:
                say(f"  {f.request_id}  {finding_text(f)}")


def finding_text(f: Finding) -> str:
    """One finding in words (the CLI's line; the page has its own table)."""
    paid, held = money(f.provider_amount, f.currency), money(f.held_amount, f.currency)
    if f.kind is Kind.PAID_NOT_REPORTED:
        if f.held_status is None:
            return _("{amount} paid; no device reported this request").format(amount=paid)
        return _("{amount} paid; sale {sale} is {status} on its device").format(
            amount=paid, sale=f.sale_id, status=status(f.held_status)
        )
    if f.kind is Kind.REPORTED_NOT_PAID:
        if f.provider_status is None:
            return _("sale {sale} reported {amount} received; the provider does not know this request").format(
                sale=f.sale_id, amount=held
            )
        return _("sale {sale} reported {amount} received; the provider says {status} ({paid} paid)").format(
            sale=f.sale_id, amount=held, status=status(f.provider_status), paid=paid
        )
    return _("sale {sale}: {paid} paid at the provider, {amount} received on the device").format(
        sale=f.sale_id, paid=paid, amount=held
    )
