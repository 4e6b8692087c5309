"""``tillqr charge``, ``tillqr recover`` and ``tillqr journal …``: the checkout from a terminal.

Every wait here is bounded, so the command always ends: a sale that ended unpaid exits 2; a sale
the provider would not confirm closed in time exits 1 saying to run ``tillqr recover``. SIGTERM is
handled like Ctrl-C: the open sale is cancelled and unlinked before the command ends.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.checkout.controller import CheckoutError
from app.checkout.events import SaleChanged
from app.checkout.refunds import RefundError
from app.config.settings import SettingsError, is_configured
from app.domain.excerpt import excerpt
from app.domain.money import Money, MoneyError, amount_text
from app.domain.sale import Sale, SaleStatus, utcnow
from app.providers.base import ProviderAuthError, ProviderError, ProviderTimeout, ProviderUnavailable
from app.providers.clock import clock_skew_of, skew_words
from app.runtime import CannotStart, Runtime, SandboxError, load_settings, open_runtime
from app.storage.cashiers import CashierError, Cashiers
from app.storage.journal import JournalError

from . import journal_cli
from .cli_support import StdoutGone, demo_flag, emit, err, note, on_sigterm, say

EXPECTED = (
    MoneyError,
    CheckoutError,
    RefundError,
    CannotStart,
    SettingsError,
    ProviderError,
    JournalError,
    SandboxError,
    CashierError,
)
UNLINK_GRACE_S = 60.0  # after the sale's end: the cancel and the unlink together, at most
FAILED_CLOSE_S = 10.0  # after a refused or failed start: closing the failed sale, at most
SIGTERM_EXIT = 143


def dispatch(args) -> int:
    runner = {"charge": charge, "recover": recover, "journal": _journal}[args.command]
    terminated: list[bool] = []

    async def main() -> int:
        task = asyncio.current_task()

        def on_term() -> None:
            if not terminated and task is not None:  # once: a second one must not cut the cancel short
                terminated.append(True)
                task.cancel()

        undo = on_sigterm(on_term)
        try:
            return await runner(args)
        finally:
            undo()

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:  # SIGTERM before a sale was open: nothing to cancel
        note("terminated")
        return SIGTERM_EXIT
    except EXPECTED as exc:
        err(str(exc))
        return 1


def _asked_provider(args) -> str | None:
    return getattr(args, "sub_provider", None) or args.provider


def _public(url: str) -> str:
    """``url`` without any user:password part (never printed)."""
    parts = urlsplit(url)
    return (
        urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))
        if parts.hostname and "@" in parts.netloc
        else url
    )


def _unreachable(args, exc: ProviderError) -> str:
    """Who is not answering, where, and what to do about it."""
    try:
        p, configured = load_settings()
    except (SettingsError, OSError):
        return str(exc)
    url = os.environ.get("TILLQR_SANDBOX_URL", "").rstrip("/")
    slow = isinstance(exc, ProviderTimeout)
    if demo_flag(args) or not is_configured(configured) or configured is None:
        if url and slow:
            return (
                f"the sandbox at {_public(url)} (TILLQR_SANDBOX_URL) is slow: it did not answer in time "
                f"({exc.message}); try again, or clear its simulated latency with DELETE /_sandbox/faults"
            )
        if url:
            return (
                f"the sandbox at {_public(url)} cannot be reached (TILLQR_SANDBOX_URL): {exc.message}; "
                "start it with `tillqr sandbox`, or unset TILLQR_SANDBOX_URL to run one inside this command"
            )
        return str(exc)
    if slow:
        return (
            f"{configured.provider} at {_public(configured.base_url)} is slow: it did not answer in time "
            f"({exc.message}); try again shortly (check the network if it keeps happening)"
        )
    return (
        f"{configured.provider} at {_public(configured.base_url)} cannot be reached: {exc.message}; "
        f"check the network, and provider.base_url in {p.config_file}"
    )


async def _open(args, provider: str | None = None, **kw) -> Runtime:
    asked = _asked_provider(args)
    try:
        rt = await open_runtime(demo=demo_flag(args), provider=provider or asked, **kw)
    except ProviderUnavailable as exc:
        raise CannotStart(_unreachable(args, exc)) from None
    except ProviderAuthError as exc:
        raise CannotStart(
            f"{exc.provider or 'the provider'} refused TillQR's credentials ({exc.message}): set them again in "
            "Settings → provider credentials (`tillqr` opens Settings)"
        ) from None
    except CannotStart as exc:
        text = str(exc)
        if "is not set" in text and text.startswith("provider."):  # name the file to fix
            p, _ = load_settings()
            raise CannotStart(f"{text} (in {p.config_file})") from None
        raise
    if rt.demo:
        note(f"demo mode: {rt.mode_text}")
    elif asked:
        await rt.aclose()
        raise CannotStart("--provider picks a sandbox provider and needs demo mode (--demo)")
    return rt


def _closed_line(sale: Sale) -> dict:
    return {
        "event": "closed",
        "sale_id": sale.sale_id,
        "status": sale.status.value,
        "amount_received": str(sale.received),
        "unlinked": sale.unlinked,
    }


def _check_before_opening(args) -> None:
    """What can be refused before the till opens (no journal, no sandbox, no provider touched): the
    amount's form, and with --currency that code and the amount in it."""
    amount_text(args.amount)
    if args.currency:
        Money.parse(args.amount, args.currency)


async def charge(args) -> int:
    _check_before_opening(args)
    rt = await _open(args, duration_s=args.expires_in)
    try:
        if args.currency and args.currency.strip().upper() != rt.settings.currency:
            raise CheckoutError(f"this till charges in {rt.settings.currency}, not {args.currency.strip().upper()}")
        ctl = rt.controller
        if args.cashier is not None:  # a label for scripts: no PIN (whoever runs this can read the journal anyway)
            ctl.cashier = await Cashiers(rt.journal).named(args.cashier)
        for r in await ctl.recover():
            note(f"recovered sale {r.sale.sale_id}: {r.action}")
        if ctl.current is not None and ctl.current.status.is_open:
            raise CheckoutError(
                f"sale {ctl.current.sale_id} is still open on this till; "
                "finish it or run `tillqr recover --cancel-open`"
            )
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
        sale = await _start(rt, args, due)
        sale_id.append(sale.sale_id)
        linked = {
            "event": "linked",
            "sale_id": sale.sale_id,
            "request_id": sale.request_id,
            "provider": sale.provider,
            "amount": str(sale.amount),
            "currency": sale.amount.currency,
            "payload": sale.payload,
            "expires_at": sale.expires_at.isoformat() if sale.expires_at else None,
        }
        if due is not None:
            from app.domain.duedate import amount_due, local_date  # lazy: due-date maths only for a charge with --due

            breakdown = amount_due(sale.amount, due, local_date(utcnow()))
            linked["amount_due"] = str(breakdown.total)
            for text in breakdown.lines():
                note(text)
        if rt.sandbox is not None:
            await rt.sandbox.settled()  # demo: what this line announces survives a kill (the sandbox's file has it)
        emit(linked)
        if rt.sandbox is not None and rt.sandbox.url is None and args.pay_after is None:
            note(
                "the sandbox runs inside this process, so only --pay-after can pay this sale; "
                "or run `tillqr sandbox` and set TILLQR_SANDBOX_URL to pay it from outside"
            )
        paying = None
        if args.pay_after is not None and not StdoutGone.gone:
            if rt.sandbox is None:
                raise CheckoutError("--pay-after works in demo mode only")
            paying = asyncio.ensure_future(_pay_later(rt, sale, args.pay_after))  # held until the sale ends
        # nobody got the payload (stdout closed): nobody can pay it, so cancel it at once
        closed = await _wait(rt, sale, 0.0 if StdoutGone.gone else args.wait)
        if paying is not None and not paying.done():
            paying.cancel()
        emit(_closed_line(closed))
        return 0 if closed.status == SaleStatus.SETTLED else 2
    finally:
        await rt.aclose()


async def _start(rt: Runtime, args, due) -> Sale:
    """The sale, linked; when the provider refuses or fails it, the failed sale is closed (bounded) first."""
    ctl = rt.controller
    before = ctl.current
    try:
        return await ctl.charge(args.amount, args.ref, due=due)
    except CheckoutError as exc:
        failed = ctl.current
        if failed is None or failed is before or failed.closed:
            raise
        if isinstance(exc.__cause__, ProviderUnavailable):
            exc = CheckoutError(f"{exc} [{_where(rt)}]")
        try:
            await ctl.wait_closed(failed.sale_id, timeout=FAILED_CLOSE_S)
        except TimeoutError:
            raise CheckoutError(
                f"{exc} The failed sale {failed.sale_id} could not be closed yet; "
                "run `tillqr recover` when the provider answers"
            ) from None
        raise exc from None


def _where(rt: Runtime) -> str:
    if rt.sandbox is not None:
        return f"the sandbox at {_public(rt.sandbox.url)}" if rt.sandbox.url else "the sandbox in this process"
    return f"{rt.settings.provider} at {_public(rt.settings.base_url)}"


def _due_terms(args, currency: str):
    """DueTerms from the --due options, or None; MoneyError/CheckoutError in words for bad values."""
    if not args.due:
        if args.discount or any(getattr(args, k) != "0" for k in ("fine", "interest", "rebate")):
            raise CheckoutError("--fine, --interest, --rebate and --discount need --due")
        return None
    from datetime import date  # lazy: due-date maths only for a charge with --due

    from app.domain.dueterms import Discount, DueTerms  # lazy: due-date maths only for a charge with --due

    def day(text: str, what: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CheckoutError(f"{what} must be a date like 2026-12-31, not {excerpt(text)}") from None

    def money(text: str) -> Money:
        return Money.parse(text, currency, allow_zero=True)

    discounts = []
    for spec in args.discount:
        amount, _, limit = spec.partition("@")
        if not limit:
            raise CheckoutError(f"--discount must look like 1.00@2026-12-01, not {excerpt(spec)}")
        discounts.append(Discount(money(amount), day(limit, "a discount's limit date")))
    if not 0 <= args.max_days <= 3650:
        raise CheckoutError("--max-days must be between 0 and 3650")
    return DueTerms(
        due_date=day(args.due, "--due"),
        max_payment_days=args.max_days,
        fine=money(args.fine),
        interest_per_day=money(args.interest),
        rebate=money(args.rebate),
        discounts=tuple(sorted(discounts, key=lambda d: d.limit_date)),
    )


async def _pay_later(rt: Runtime, sale: Sale, delay: float) -> None:
    await asyncio.sleep(delay)
    payload = rt.link.payload if rt.link else sale.payload
    assert rt.sandbox is not None and payload is not None  # --pay-after is refused outside demo mode
    try:
        await rt.sandbox.pay(payload)
    except (SandboxError, httpx.HTTPError) as exc:
        note(f"the sandbox customer could not pay: {exc}")


async def _wait(rt: Runtime, sale: Sale, wait: float | None) -> Sale:
    """The sale once closed: paid, expired, or after ``wait`` s (or an interrupt) ended through the
    controller's ``finish`` (cancel, unlink), within ``UNLINK_GRACE_S``; CheckoutError in words after."""
    if wait is None:
        left = (sale.expires_at - utcnow()) if sale.expires_at else timedelta(seconds=rt.settings.expires_in)
        wait = max(0.0, left.total_seconds()) + UNLINK_GRACE_S
    interrupted = False
    try:
        if wait > 0:
            return await rt.controller.wait_closed(sale.sale_id, timeout=wait)
    except TimeoutError:
        pass
    except asyncio.CancelledError:  # Ctrl-C or SIGTERM: cancel the sale, as the cashier would
        interrupted = True
    try:
        return await rt.controller.finish(sale.sale_id, timeout=UNLINK_GRACE_S)
    finally:
        if interrupted:
            note("interrupted")


async def recover(args) -> int:
    """Every provider that has open sales is asked about its own (demo journals hold sales of several)."""
    providers: list[str | None] = [_asked_provider(args)]
    if providers[0] is None:
        journal, demo = await journal_cli.journal_of(args, demo_flag=demo_flag(args))
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
                _say_waiting(rt, r.sale)
                r = type(r)(await _wait(rt, r.sale, None), "waited")
            if args.json:
                emit(r.to_json())
            else:
                say(
                    f"{r.sale.sale_id}  {r.action:<14} {r.sale.status.value:<10} "
                    f"{r.sale.amount.display():>14}  {r.sale.reason}"
                )
        if not results and not args.json:
            say("nothing to recover: every sale in the journal is closed")
        await _check_clock(rt)
        return 0 if all(r.action not in ("unreachable", "error") for r in results) else 1
    finally:
        await rt.aclose()


async def _check_clock(rt: Runtime) -> None:
    """Warn (stderr) when this machine's clock is over a minute off the provider's answers; one harmless call
    when none of this run's answers said the time yet."""
    if clock_skew_of(rt.provider) is None:
        try:
            await rt.provider.ping()
        except ProviderError:
            return  # said elsewhere when it matters; the clock stays unknown
    words = skew_words(clock_skew_of(rt.provider))
    if words:
        note(f"warning: {words}")


def _say_waiting(rt: Runtime, sale: Sale) -> None:
    """recover waits for an open sale: say for what and until when, and how not to wait."""
    if sale.expires_at is not None:
        until = f"until it expires at {sale.expires_at.astimezone():%Y-%m-%d %H:%M:%S}"
    else:
        until = f"for up to {rt.settings.expires_in} s"
    note(
        f"sale {sale.sale_id} ({sale.amount.display()}) is still open at {sale.provider}: waiting {until} "
        f"(and up to {UNLINK_GRACE_S:.0f} s more to unlink) for it to be paid or expire; "
        "`tillqr recover --cancel-open` cancels it instead"
    )


async def _journal(args) -> int:
    if args.journal_command in ("receipt", "shift"):
        from . import receipt_cli  # lazy: receipts only for `journal receipt|shift`

        return await receipt_cli.run(args)
    return await journal_cli.journal(args, _open)
