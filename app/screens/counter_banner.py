"""What the counter shows about a sale, in words, without Qt: its status banner, the time its request
has left (``countdown``) and the words where the QR goes while there is none (``panel_hint``).

The banner's title always names the state (colour is never the only signal); the detail
says what it means for the money:

- waiting, nothing received: "Scan to pay BRL 12.50";
- part paid (still open, so never PAID): title "Partly paid", detail
  "Received BRL 8.00 of BRL 12.50 · BRL 4.50 still to pay";
- PAID only once the controller says settled; over-paid: a flagged note
  "Over-paid by BRL 2.50 — refund the difference to the customer";
- ended without being paid in full although some money came in (expired,
  cancelled, failed after a partial payment): the note says what was received and
  that it must be refunded, instead of "Nothing was charged".

``owed`` is what the customer had to pay: the sale's amount, or for a due-date
charge the amount due today (rebate, discount, fine, interest applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from app.checkout.outcomes import reason_words
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import _, ngettext

from .operations import Busy


class Mode(str, Enum):
    IDLE = "idle"
    WAITING = "waiting"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"
    REFUNDED = "refunded"


MODES = {
    SaleStatus.SETTLED: Mode.PAID,
    SaleStatus.EXPIRED: Mode.EXPIRED,
    SaleStatus.CANCELLED: Mode.CANCELLED,
    SaleStatus.FAILED: Mode.FAILED,
    SaleStatus.REFUNDED: Mode.REFUNDED,
    SaleStatus.PARTIALLY_REFUNDED: Mode.REFUNDED,
    SaleStatus.RETURNED: Mode.REFUNDED,  # money that went back to the payer, as a refund does
}


@dataclass(frozen=True)
class Banner:
    mode: Mode
    title: str  # large: "PAID", "Waiting for payment" …
    detail: str  # one line under it
    note: str = ""  # a line the cashier must act on ("Over-paid by …"), shown flagged
    flag: str = ""  # "partial" | "overpaid" | "refund": selects the note's and banner's colours


def mode_of(sale: Sale | None) -> Mode:
    if sale is None:
        return Mode.IDLE
    if sale.status.is_open:
        return Mode.WAITING
    return MODES[sale.status]


def idle_banner(busy: Busy | None) -> Banner:
    if busy is Busy.RECOVER:
        return Banner(Mode.IDLE, _("Starting…"), _("Checking unfinished sales with the provider"))
    if busy is Busy.CHARGE:
        return Banner(Mode.IDLE, _("Starting…"), _("Creating the payment request"))
    return Banner(Mode.IDLE, _("Ready"), _("Type an amount and press Charge"))


def sale_banner(sale: Sale, owed: Money, busy: Busy | None = None) -> Banner:
    mode, amount = mode_of(sale), owed.display()
    received = sale.received
    if mode is Mode.WAITING:
        if busy is Busy.CANCEL:
            return Banner(mode, _("Cancelling…"), _("{amount}: asking the provider to cancel").format(amount=amount))
        if sale.status is SaleStatus.PENDING:
            return Banner(mode, _("Starting…"), _("Creating the payment request for {amount}").format(amount=amount))
        if received.minor and received.minor < owed.minor:
            left = Money(owed.minor - received.minor, owed.currency)
            title = _("Partly paid") if sale.status is SaleStatus.LINKED else sale.status.label
            return Banner(
                mode,
                title,
                _("Received {received} of {amount} · {left} still to pay").format(
                    received=received.display(), amount=amount, left=left.display()
                ),
                flag="partial",
            )
        if received.minor:
            return Banner(
                mode,
                sale.status.label,
                _("Received {received} of {amount}: confirming").format(received=received.display(), amount=amount),
            )
        return Banner(mode, sale.status.label, _("Scan to pay {amount}").format(amount=amount))
    if mode is Mode.PAID:
        got = received if received.minor else owed
        if received.minor > owed.minor:
            over = Money(received.minor - owed.minor, owed.currency)
            return Banner(
                mode,
                _("PAID"),
                _("{received} received for {amount}").format(received=got.display(), amount=amount),
                note=_("Over-paid by {over} — refund the difference to the customer").format(over=over.display()),
                flag="overpaid",
            )
        return Banner(mode, _("PAID"), _("{received} received").format(received=got.display()))
    refund = _refund_note(received) if mode in (Mode.EXPIRED, Mode.CANCELLED, Mode.FAILED) else ""
    nothing = "" if refund else " " + _("Nothing was charged.")
    flag = "refund" if refund else ""
    if mode is Mode.EXPIRED:
        return Banner(
            mode, _("Expired"), _("{amount} was not paid in time.").format(amount=amount) + nothing, refund, flag
        )
    if mode is Mode.CANCELLED:
        said = (
            _("{amount} cancelled by the provider.") if sale.reason.startswith("provider") else _("{amount} cancelled.")
        )
        return Banner(mode, _("Cancelled"), said.format(amount=amount) + nothing, refund, flag)
    if mode is Mode.FAILED:
        return Banner(mode, _("Failed"), _failure(sale, amount), refund, flag)
    if sale.status is SaleStatus.RETURNED:
        got = received if received.minor else owed
        return Banner(
            mode,
            sale.status.label,
            _("{amount} was paid, then returned to the payer by the provider").format(amount=got.display()),
        )
    if sale.status is SaleStatus.PARTIALLY_REFUNDED:
        return Banner(
            mode,
            sale.status.label,
            _("{refunded} of {received} refunded").format(
                refunded=sale.refunded.display(), received=received.display()
            ),
        )
    refunded = sale.refunded.display() if sale.refunded.minor else amount
    return Banner(mode, sale.status.label, _("{amount} refunded").format(amount=refunded))


def countdown(sale: Sale | None, now: datetime) -> str:
    """Time left until the open sale's request expires: "4:59", "2:04:59", "37 days 4 h" (a due-date
    charge stays payable for weeks); "" when nothing is counting down."""
    if sale is None or not sale.status.is_open or sale.expires_at is None:
        return ""
    left = max(0, int((sale.expires_at - now).total_seconds()))
    hours, rest = divmod(left, 3600)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return ngettext("{days} day {hours} h", "{days} days {hours} h", days).format(days=days, hours=hours)
    if hours:
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{left // 60}:{left % 60:02d}"


def panel_hint(sale: Sale | None, show_qr: bool) -> str:
    """The words where the QR goes when there is no QR to show."""
    if show_qr:
        return ""
    if sale is None:
        return _("The QR code to scan appears here")
    if sale.status.is_open:
        return _("Preparing the QR code…")
    return _("Ready for the next sale: type an amount")


def _refund_note(received: Money) -> str:
    if not received.minor:
        return ""
    return _("{received} was received before it ended — refund it to the customer").format(received=received.display())


def _failure(sale: Sale, amount: str) -> str:
    reason = sale.reason.strip()
    if not reason:
        return _("{amount} could not be charged").format(amount=amount)
    if reason.startswith("provider: "):  # the provider's own status word
        return _("{amount} could not be charged (provider status {status})").format(
            amount=amount, status=reason[len("provider: ") :]
        )
    said = reason_words(reason)
    return said[:1].upper() + said[1:]
