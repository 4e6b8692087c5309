"""``tillqr charge``, ``tillqr recover`` and ``tillqr journal …``: the checkout from a terminal.

Every wait here is bounded, so the command always ends: a sale that ended unpaid exits 2; a sale
the provider would not confirm closed in time exits 1 saying to run ``tillqr recover``. SIGTERM is
handled like Ctrl-C: the open sale is cancelled and unlinked before the command ends.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from app.checkout.controller import CheckoutError
from app.checkout.events import SaleChanged
from app.checkout.refunds import RefundError
from app.config.settings import SettingsError
from app.domain.excerpt import excerpt
from app.domain.money import Money, MoneyError, amount_text
from app.domain.sale import Sale, SaleStatus, utcnow
from app.i18n import _
from app.providers.base import ProviderAuthError, ProviderError, ProviderUnavailable
from app.providers.clock import clock_skew_of, skew_words
from app.runtime import CannotStart, Runtime, SandboxError, open_runtime
from app.storage.cashiers import CashierError, Cashiers
from app.storage.journal import JournalError

from . import journal_cli
from .cli_support import StdoutGone, demo_flag, emit, err, note, on_sigterm, say
from .reach import unreachable, where
from .recover_text import recovered_line, waiting_words

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
        note(_("terminated"))
        return SIGTERM_EXIT
    except EXPECTED as exc:
        err(str(exc))
        return 1


def _asked_provider(args) -> str | None:
    return getattr(args, "sub_provider", None) or args.provider


async def _open(args, provider: str | None = None, **kw) -> Runtime:
    asked = _asked_provider(args)
    try:
        rt = await open_runtime(demo=demo_flag(args), provider=provider or asked, **kw)
    except ProviderUnavailable as exc:
        raise CannotStart(unreachable(args, exc)) from None
    except ProviderAuthError as exc:
        raise CannotStart(
            _(
                "{provider} refused TillQR's credentials ({reason}): set them again in Settings → provider "
                "credentials (`tillqr` opens Settings)"
            ).format(provider=exc.provider or _("the provider"), reason=exc.message)
        ) from None
    if rt.demo:
        note(_("demo mode: {mode}").format(mode=rt.mode_text))
    elif asked:
        await rt.aclose()
        raise CannotStart(_("--provider picks a sandbox provider and needs demo mode (--demo)"))
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
            raise CheckoutError(
                _("this till charges in {currency}, not {asked}").format(
                    currency=rt.settings.currency, asked=args.currency.strip().upper()
                )
            )
        ctl = rt.controller
        if args.cashier is not None:  # a label for scripts: no PIN (whoever runs this can read the journal anyway)
            ctl.cashier = await Cashiers(rt.journal).named(args.cashier)
        for r in await ctl.recover():
            note(_("recovered sale {sale}: {action}").format(sale=r.sale.sale_id, action=r.action))
        if ctl.current is not None and ctl.current.status.is_open:
            raise CheckoutError(
                _("sale {sale} is still open on this till; finish it or run `tillqr recover --cancel-open`").format(
                    sale=ctl.current.sale_id
                )
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
                _(
                    "the sandbox runs inside this process, so only --pay-after can pay this sale; "
                    "or run `tillqr sandbox` and set TILLQR_SANDBOX_URL to pay it from outside"
                )
            )
        paying = None
        if args.pay_after is not None and not StdoutGone.gone:
            if rt.sandbox is None:
                raise CheckoutError(_("--pay-after works in demo mode only"))
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
            exc = CheckoutError(f"{exc} [{where(rt)}]")
        try:
            await ctl.wait_closed(failed.sale_id, timeout=FAILED_CLOSE_S)
        except TimeoutError:
            raise CheckoutError(
                _(
                    "{reason} The failed sale {sale} could not be closed yet; run `tillqr recover` when the "
                    "provider answers"
                ).format(reason=exc, sale=failed.sale_id)
            ) from None
        raise exc from None


def _due_terms(args, currency: str):
    """DueTerms from the --due options, or None; MoneyError/CheckoutError in words for bad values."""
    if not args.due:
        if args.discount or any(getattr(args, k) != "0" for k in ("fine", "interest", "rebate")):
            raise CheckoutError(_("--fine, --interest, --rebate and --discount need --due"))
        return None
    from datetime import date  # lazy: due-date maths only for a charge with --due

    from app.domain.dueterms import Discount, DueTerms  # lazy: due-date maths only for a charge with --due

    def day(text: str, what: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CheckoutError(
                _("{what} must be a date like 2026-12-31, not {text}").format(what=what, text=excerpt(text))
            ) from None

    def money(text: str) -> Money:
        return Money.parse(text, currency, allow_zero=True)

    discounts = []
    for spec in args.discount:
        amount, _at, limit = spec.partition("@")
        if not limit:
            raise CheckoutError(_("--discount must look like 1.00@2026-12-01, not {text}").format(text=excerpt(spec)))
        discounts.append(Discount(money(amount), day(limit, _("a discount's limit date"))))
    if not 0 <= args.max_days <= 3650:
        raise CheckoutError(_("--max-days must be between 0 and 3650"))
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
        note(_("the sandbox customer could not pay: {reason}").format(reason=exc))


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
            note(_("interrupted"))


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
                say(recovered_line(r))
        if not results and not args.json:
            say(_("nothing to recover: every sale in the journal is closed"))
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
        note(_("warning: {message}").format(message=words))


def _say_waiting(rt: Runtime, sale: Sale) -> None:
    """recover waits for an open sale: say for what and until when, and how not to wait."""
    note(waiting_words(sale, rt.settings.expires_in, UNLINK_GRACE_S))


async def _journal(args) -> int:
    if args.journal_command in ("receipt", "shift"):
        from . import receipt_cli  # lazy: receipts only for `journal receipt|shift`

        return await receipt_cli.run(args)
    return await journal_cli.journal(args, _open)
