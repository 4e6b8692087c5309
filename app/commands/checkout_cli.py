"""``tillqr charge``, ``tillqr recover`` and ``tillqr journal list``: the checkout from a terminal."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

import httpx

from app.checkout.controller import CheckoutError
from app.checkout.refunds import RefundError
from app.checkout.events import SaleChanged
from app.config.settings import SettingsError
from app.domain.money import MoneyError
from app.domain.sale import Sale, SaleStatus, utcnow
from app.providers.base import ProviderError
from app.runtime import Runtime, RuntimeError_, SandboxError, load_settings, open_runtime
from app.storage.journal import Journal, JournalError

EXPECTED = (MoneyError, CheckoutError, RefundError, RuntimeError_, SettingsError, ProviderError, JournalError, SandboxError)
UNLINK_GRACE_S = 60.0


def emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def err(message: str) -> None:
    print(f"tillqr: error: {message}", file=sys.stderr, flush=True)


def dispatch(args) -> int:
    runner = {"charge": charge, "recover": recover, "journal": journal}[args.command]
    try:
        return asyncio.run(runner(args))
    except EXPECTED as exc:
        err(str(exc))
        return 1


def _demo_flag(args) -> bool | None:
    return True if (getattr(args, "demo", False) or getattr(args, "sub_demo", False)) else None


def _asked_provider(args) -> str | None:
    return getattr(args, "sub_provider", None) or args.provider


async def _open(args, provider: str | None = None, **kw) -> Runtime:
    asked = _asked_provider(args)
    rt = await open_runtime(demo=_demo_flag(args), provider=provider or asked, **kw)
    if rt.demo:
        print(f"tillqr: demo mode: {rt.mode_text}", file=sys.stderr, flush=True)
    elif asked:
        await rt.aclose()
        raise RuntimeError_("--provider picks a sandbox provider and needs demo mode (--demo)")
    return rt


async def _journal_of(args) -> tuple[Journal, bool]:
    """The journal a command reads (demo or the shop's), and whether it is the demo one."""
    p, configured = load_settings()
    demo = bool(_demo_flag(args) or configured is None)
    return Journal(p.data_dir / ("journal-demo.sqlite3" if demo else "journal.sqlite3")), demo


def _closed_line(sale: Sale) -> dict:
    return {"event": "closed", "sale_id": sale.sale_id, "status": sale.status.value,
            "amount_received": str(sale.received), "unlinked": sale.unlinked}


async def charge(args) -> int:
    rt = await _open(args, duration_s=args.expires_in)
    try:
        if args.currency and args.currency.strip().upper() != rt.settings.currency:
            raise CheckoutError(f"this till charges in {rt.settings.currency}, not {args.currency.upper()}")
        ctl = rt.controller
        for r in await ctl.recover():
            print(f"tillqr: recovered sale {r.sale.sale_id}: {r.action}", file=sys.stderr)
        if ctl.current is not None and ctl.current.status.is_open:
            raise CheckoutError(f"sale {ctl.current.sale_id} is still open on this till; "
                                "finish it or run `tillqr recover --cancel-open`")
        printed: list[SaleStatus] = []
        sale_id: list[str] = []

        def on_event(ev) -> None:
            if isinstance(ev, SaleChanged) and sale_id and ev.sale.sale_id == sale_id[0]:
                st = ev.sale.status
                if st not in (SaleStatus.PENDING, SaleStatus.LINKED) and (not printed or printed[-1] != st):
                    printed.append(st)
                    emit({"event": "status", "status": st.value})

        ctl.subscribe(on_event)
        due = _due_terms(args, rt.settings.currency)
        sale = await ctl.charge(args.amount, args.ref, due=due)
        sale_id.append(sale.sale_id)
        linked = {"event": "linked", "sale_id": sale.sale_id, "request_id": sale.request_id,
                  "provider": sale.provider, "amount": str(sale.amount), "currency": sale.amount.currency,
                  "payload": sale.payload, "expires_at": sale.expires_at.isoformat() if sale.expires_at else None}
        if due is not None:
            from app.domain.duedate import amount_due, local_date

            breakdown = amount_due(sale.amount, due, local_date(utcnow()))
            linked["amount_due"] = str(breakdown.total)
            for line in breakdown.lines():
                print(f"tillqr: {line}", file=sys.stderr)
        emit(linked)
        if rt.sandbox is not None and rt.sandbox.url is None and args.pay_after is None:
            print("tillqr: the sandbox runs inside this process, so only --pay-after can pay this sale; "
                  "or run `tillqr sandbox` and set TILLQR_SANDBOX_URL to pay it from outside",
                  file=sys.stderr, flush=True)
        if args.pay_after is not None:
            if rt.sandbox is None:
                raise CheckoutError("--pay-after works in demo mode only")
            paying = asyncio.ensure_future(_pay_later(rt, sale, args.pay_after))  # held until the sale ends
        closed = await _wait(rt, sale, args.wait)
        if args.pay_after is not None and not paying.done():
            paying.cancel()
        emit(_closed_line(closed))
        return 0 if closed.status == SaleStatus.SETTLED else 2
    finally:
        await rt.aclose()


def _due_terms(args, currency: str):
    """DueTerms from the --due options, or None; MoneyError/CheckoutError in words for bad values."""
    if not args.due:
        if args.discount or any(getattr(args, k) != "0" for k in ("fine", "interest", "rebate")):
            raise CheckoutError("--fine, --interest, --rebate and --discount need --due")
        return None
    from datetime import date

    from app.domain.money import Money
    from app.providers.base import Discount, DueTerms

    def day(text: str, what: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CheckoutError(f"{what} must be a date like 2026-12-31, not {text!r}") from None

    def money(text: str) -> Money:
        return Money.parse(text, currency, allow_zero=True)

    discounts = []
    for spec in args.discount:
        amount, _, limit = spec.partition("@")
        if not limit:
            raise CheckoutError(f"--discount must look like 1.00@2026-12-01, not {spec!r}")
        discounts.append(Discount(money(amount), day(limit, "a discount's limit date")))
    if not 0 <= args.max_days <= 3650:
        raise CheckoutError("--max-days must be between 0 and 3650")
    return DueTerms(due_date=day(args.due, "--due"), max_payment_days=args.max_days, fine=money(args.fine),
                    interest_per_day=money(args.interest), rebate=money(args.rebate),
                    discounts=tuple(sorted(discounts, key=lambda d: d.limit_date)))


async def _pay_later(rt: Runtime, sale: Sale, delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await rt.sandbox.pay(rt.link.payload if rt.link else sale.payload)  # type: ignore[union-attr]
    except (SandboxError, httpx.HTTPError) as exc:
        print(f"tillqr: the sandbox customer could not pay: {exc}", file=sys.stderr)


async def _wait(rt: Runtime, sale: Sale, wait: float | None) -> Sale:
    ctl = rt.controller
    if wait is None:
        left = (sale.expires_at - utcnow()) if sale.expires_at else timedelta(seconds=rt.settings.expires_in)
        wait = max(0.0, left.total_seconds()) + UNLINK_GRACE_S
    try:
        return await ctl.wait_closed(sale.sale_id, timeout=wait)
    except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
        interrupted = isinstance(exc, asyncio.CancelledError)
        current = ctl.current
        if current is not None and current.sale_id == sale.sale_id and current.status.is_open:
            try:
                await asyncio.shield(ctl.cancel())
            except CheckoutError as cexc:
                err(f"could not cancel the sale: {cexc}")
        try:
            return await asyncio.shield(ctl.wait_closed(sale.sale_id, timeout=UNLINK_GRACE_S))
        except asyncio.TimeoutError:
            raise CheckoutError(f"sale {sale.sale_id} ended but could not be unlinked yet; "
                                "run `tillqr recover` when the provider is back") from None
        finally:
            if interrupted:
                print("tillqr: interrupted", file=sys.stderr)


async def recover(args) -> int:
    """Every provider that has open sales is asked about its own (demo journals hold sales of several)."""
    providers: list[str | None] = [_asked_provider(args)]
    if providers[0] is None:
        journal, demo = await _journal_of(args)
        try:
            open_providers = sorted({sale.provider for sale in await journal.open_sales()})
        finally:
            await journal.aclose()
        if demo and open_providers:
            providers = list(open_providers)
    worst = 0
    for name in providers:
        worst = max(worst, await _recover_on(args, name))
    return worst


async def _recover_on(args, provider: str | None) -> int:
    rt = await _open(args, provider)
    try:
        results = await rt.controller.recover(cancel_open=args.cancel_open)
        for r in results:
            if r.action == "resumed":
                r = type(r)(await _wait(rt, r.sale, None), "waited")
            if args.json:
                emit(r.to_json())
            else:
                print(f"{r.sale.sale_id}  {r.action:<14} {r.sale.status.value:<10} "
                      f"{r.sale.amount.display():>14}  {r.sale.reason}")
        if not results and not args.json:
            print("nothing to recover: every sale in the journal is closed")
        return 0 if all(r.action != "unreachable" for r in results) else 1
    finally:
        await rt.aclose()


def _row(s: Sale) -> dict:
    return {"sale_id": s.sale_id, "status": s.status.value, "amount": str(s.amount),
            "amount_received": str(s.received), "currency": s.amount.currency, "provider": s.provider,
            "request_id": s.request_id, "created_at": s.created_at.isoformat(),
            "closed_at": s.closed_at.isoformat() if s.closed_at else None,
            "amount_refunded": str(s.refunded), "overpaid": str(s.overpaid)}


async def refund(args) -> int:
    journal, demo = await _journal_of(args)
    try:
        sale = await journal.get(args.sale_id)
    finally:
        await journal.aclose()
    if sale is None:
        raise RefundError(f"there is no sale {args.sale_id} in the {'demo ' if demo else ''}journal")
    rt = await _open(args, sale.provider if demo and not _asked_provider(args) else None)
    try:
        sale = await rt.controller.refund(args.sale_id, args.amount)
        line = {"event": "refunded", "sale_id": sale.sale_id, "status": sale.status.value,
                "amount_refunded": str(sale.refunded), "currency": sale.amount.currency}
        if args.json:
            emit(line)
        else:
            print(f"{sale.sale_id}: {sale.status.label}, {sale.refunded.display()} refunded in all")
        return 0
    finally:
        await rt.aclose()


async def journal(args) -> int:
    if args.journal_command == "refund":
        return await refund(args)
    j, demo = await _journal_of(args)
    try:
        sales = await j.list_sales(limit=None)
    finally:
        await j.aclose()
    if demo:
        print("tillqr: demo mode: the demo journal", file=sys.stderr)
    if args.journal_command == "export":
        return _export(sales, args.file)
    if args.journal_command == "totals":
        return _totals(sales, args)
    for s in sales:
        if args.json:
            emit(_row(s))
        else:
            flags = ("" if s.closed else "  (open)") + (f"  over-paid {s.overpaid}" if s.overpaid.minor else "")
            flags += f"  refunded {s.refunded}" if s.refunded.minor else ""
            print(f"{s.created_at:%Y-%m-%d %H:%M:%S}  {s.status.value:<18} {s.amount.display():>14}  "
                  f"received {str(s.received):>10}  {s.provider}  {s.request_id or '-'}{flags}")
    return 0


def _export(sales: list[Sale], file: str) -> int:
    from pathlib import Path

    from app.storage.reports import export_csv

    try:
        n = export_csv(reversed(sales), Path(file))
    except OSError as exc:
        raise CheckoutError(f"cannot write {file}: {exc.strerror}") from None
    print(f"tillqr: {n} sales written to {file}", file=sys.stderr)
    return 0


def _totals(sales: list[Sale], args) -> int:
    from datetime import date, datetime

    from app.storage.reports import day_totals

    try:
        day = date.fromisoformat(args.date) if args.date else datetime.now().astimezone().date()
    except ValueError:
        raise CheckoutError(f"--date must look like 2026-11-25, not {args.date!r}") from None
    totals = day_totals(sales, day)
    for (status, currency), t in totals.items():
        if args.json:
            emit({"date": day.isoformat(), "status": status, "currency": currency, "count": t.count,
                  "amount": str(t.amount), "amount_received": str(t.received), "amount_refunded": str(t.refunded)})
        else:
            print(f"{status:<18} {t.count:>5}  {currency} {str(t.amount):>12}  received {str(t.received):>12}"
                  f"  refunded {str(t.refunded):>10}")
    if not totals and not args.json:
        print(f"no sales on {day}")
    return 0
