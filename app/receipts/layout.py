"""A receipt: what a journal sale says to the customer, laid out as plain text lines (Qt-free).

:func:`receipt_of` gathers the facts of one :class:`~app.domain.sale.Sale` (the store, the time, the ids, the
amounts, the status in words); :func:`receipt_lines` lays them out for a paper ``width`` in characters. It is
the one layout every output prints (ESC/POS, a system printer, PDF, the screen), so they all say the same.

    PADARIA CENTRAL                      the store's name and city, centred (wrapped when long)
    SAO PAULO
    ------------------------------
    Date              2026-11-25 14:03   left: the name; right: the value (wrapped under it when long)
    Sale                      3f2a9c1e   the sale's short id (its first 8 characters)
    Cashier                        Ana   who rang it up (cashiers by name); no line in a one-person shop
    Provider                     depay
    Request          0f3c…               the provider's request id, whole (wrapped)
    ------------------------------
    Amount                   BRL 12.50   amounts right-aligned, in the journal's money words
    Received                 BRL 12.50
    Refunded                  BRL 2.00   only when something was refunded
    Status                        Paid
    ------------------------------
         Not a fiscal document
"""

from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import datetime, tzinfo

from app.domain.money import Money
from app.domain.sale import Sale
from app.i18n import _, format_datetime, lazy_, pgettext
from app.screens.journal_filters import status_words

SHORT_ID = 8
NOT_FISCAL = lazy_("Not a fiscal document")
MIN_WIDTH = 24


@dataclass(frozen=True)
class Receipt:
    store_name: str
    store_city: str
    when: datetime  # local time of the sale
    sale_id: str
    provider: str
    request_id: str
    amount: Money
    received: Money
    refunded: Money
    status: str  # in words
    reference: str = ""
    cashier: str | None = None  # who rang it up (the sale's cashier); None: no line

    @property
    def short_id(self) -> str:
        return self.sale_id[:SHORT_ID]


def receipt_of(
    sale: Sale, store_name: str, store_city: str, *, tz: tzinfo | None = None, cashier: str | None = None
) -> Receipt:
    """The receipt of ``sale`` for the store (``tz``: the till's zone, default the machine's); ``cashier``: the
    name printed (default: the sale's own cashier, none when nobody signed in)."""
    return Receipt(
        store_name=store_name,
        store_city=store_city,
        when=sale.created_at.astimezone(tz),
        sale_id=sale.sale_id,
        provider=sale.provider,
        request_id=sale.request_id or "",
        amount=sale.amount,
        received=sale.received,
        refunded=sale.refunded,
        status=status_words(sale).replace(" · ", ", "),
        reference=sale.reference,
        cashier=cashier if cashier is not None else (sale.cashier or None),
    )


def rule(width: int) -> str:
    return "-" * width


def cells(text: str) -> int:
    """The columns ``text`` takes on paper: a combining mark (a Devanagari vowel sign or virama) takes none."""
    return sum(0 if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    room = " " * max(0, width - cells(text))
    return room + text if right else text + room


def centred(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width`` and each line centred."""
    out = []
    for line in textwrap.wrap(text, width) or [""]:
        left = max(0, width - cells(line)) // 2
        out.append((" " * left + line).rstrip())
    return out


def pair(name: str, value: str, width: int) -> list[str]:
    """``name`` on the left, ``value`` right-aligned on the same line; a value with no room there goes on
    the lines under it, wrapped and right-aligned."""
    room = width - cells(name) - 1
    if cells(value) <= room:
        return [name + _pad(value, width - cells(name), right=True)]
    return [name, *(_pad(part, width, right=True) for part in textwrap.wrap(value, width, break_on_hyphens=False))]


def receipt_lines(receipt: Receipt, width: int) -> list[str]:
    """The receipt as lines of at most ``width`` characters (at least ``MIN_WIDTH``)."""
    width = max(MIN_WIDTH, width)
    r = receipt
    out = [*centred(r.store_name.upper(), width)]
    if r.store_city.strip():
        out += centred(r.store_city, width)
    out.append(rule(width))
    out += pair(_("Date"), format_datetime(r.when, seconds=False), width)
    out += pair(pgettext("receipt", "Sale"), r.short_id, width)
    if r.cashier:
        out += pair(_("Cashier"), r.cashier, width)
    out += pair(_("Provider"), r.provider, width)
    if r.request_id and r.request_id != r.sale_id:
        out += pair(pgettext("receipt", "Request"), r.request_id, width)
    if r.reference:
        out += pair(_("Reference"), r.reference, width)
    out.append(rule(width))
    out += pair(_("Amount"), r.amount.display(), width)
    out += pair(_("Received"), r.received.display(), width)
    if r.refunded.minor:
        out += pair(pgettext("amount", "Refunded"), r.refunded.display(), width)
    out += pair(_("Status"), r.status, width)
    out.append(rule(width))
    out += centred(str(NOT_FISCAL), width)
    return out
