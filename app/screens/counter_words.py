"""What the counter says about its commands, in words, without Qt and without state.

- how each command's failure starts (``CHARGE``, ``CANCEL``, ``PAY``, ``RECOVER``: the operation runner's
  ``Words``, app.screens.operations);
- why a press waits while another command runs (``while_busy``): said at once, the press dropped, never queued;
- what the start-up check of unfinished sales found (``recovery_report``): the sales checked with the
  provider, and those that could not be checked yet, with why;
- which controller notices the banner already says (``banner_says``): money to give back, same amount;
- what stands above the banner while it holds (``Standing``): a setup left unfinished (``setup_unfinished``),
  a provider that does not answer (``NO_ANSWER``).

Used by CounterModel (app/screens/counter_model.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from app.i18n import _, lazy_, ngettext

from .operations import Busy, Level, Words

if TYPE_CHECKING:
    from app.checkout.recovery import Recovered  # lazy: type only

CHARGE = Words(lazy_("Could not charge"))
CANCEL = Words(lazy_("Could not cancel"))
PAY = Words(lazy_("Simulated payment did not go through"))
RECOVER = Words(lazy_("Could not check unfinished sales"))
MORE_TIME = Words(lazy_("Could not give more time"))
# an amount's digits as Money.display() writes them in any language: "2.50" (BRL 2.50), "2,50" (R$ 2,50), "1,250.00"
_AMOUNT = re.compile(r"\d[\d.,\u00a0\u202f']*\d")
_UNSURE = ("unreachable", "error", "create_in_flight")
NO_ANSWER = lazy_("The payment provider does not answer; sales will start when it is back. TillQR keeps asking.")


class Standing(StrEnum):
    """A condition said above the counter's banner for as long as it holds (in this order)."""

    SETUP = "setup"  # the store's setup is unfinished: a demo till
    PROVIDER = "provider"  # the provider does not answer (start-up check, retried in the background)


def setup_unfinished(missing: Sequence[str]) -> str:
    """The standing words for a store whose setup lacks ``missing`` (in words: "the payment link")."""
    listed = (
        missing[0]
        if len(missing) == 1
        else _("{items} and {last}").format(items=", ".join(missing[:-1]), last=missing[-1])
    )
    return _(
        "Demo mode: setup is unfinished ({missing} still to be set). Sales here are simulated; "
        "the manager finishes setup in Settings."
    ).format(missing=listed)


def while_busy(running: Busy, wanted: Busy) -> str:
    """Why a press waits, in words, said at once (the press is dropped, never queued)."""
    if running is Busy.CHARGE:
        if wanted is Busy.CANCEL:
            return _("A sale is being started; wait for its QR. Then cancel it.")
        return _("A sale is being started; wait for its QR.")
    if running is Busy.CANCEL:
        return _("The sale is being cancelled; wait a moment.")
    if running is Busy.RECOVER:
        return _("Unfinished sales from the last run are being checked; wait a moment.")
    if running is Busy.MORE_TIME:
        return _("A new payment request for the same amount is being made; wait a moment.")
    if running is Busy.PRINT:
        return _("The receipt is being printed; wait a moment.")
    return _("The simulated payment is on its way; wait a moment.")


def recovery_report(found: Sequence[Recovered]) -> tuple[str, Level] | None:
    """What recovery found, in words and at what level; None when there is nothing to say."""
    checked = [r for r in found if hasattr(r, "sale") and r.action not in _UNSURE]
    doubt = [r for r in found if getattr(r, "action", "") in _UNSURE and not r.sale.closed]
    sales = [f"{r.sale.amount.display()} {r.sale.status.label.lower()}" for r in checked]
    if doubt:
        amounts = ", ".join(r.sale.amount.display() for r in doubt)
        actions = {r.action for r in doubt}
        if "unreachable" in actions:
            why = _("the provider is not answering")
        elif "error" in actions:
            why = _("the provider answered with an error")
        else:
            why = _("its payment request may still be on its way to the provider")
        said = ngettext(
            "{n} unfinished sale from the last run ({amounts}) could not be checked yet: {why}. "
            "TillQR keeps asking and shows what it finds.",
            "{n} unfinished sales from the last run ({amounts}) could not be checked yet: {why}. "
            "TillQR keeps asking and shows what it finds.",
            len(doubt),
        ).format(n=len(doubt), amounts=amounts, why=why)
        if sales:
            said += " " + _("Checked: {sales}.").format(sales=", ".join(sales))
        return said, Level.WARNING
    if sales:
        return (
            _("Unfinished sales from the last run, checked with the provider: {sales}.").format(sales=", ".join(sales)),
            Level.INFO,
        )
    return None


def banner_says(note: str, message: str) -> bool:
    """The banner's note already says this notice: money to give back (the only thing a note says), the same
    amount; read from the digits, so it holds in every language."""
    return bool(note) and any(amount in note for amount in _AMOUNT.findall(message))
