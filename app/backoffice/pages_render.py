"""The back office's pages as HTML: Jinja2 templates (``templates/``, autoescaped), their words through ``_()`` and
money, dates and times through Babel in the back office's language (``app.i18n``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.config.paths import RESOURCES
from app.domain.money import Money, MoneyError
from app.domain.sale import SaleStatus
from app.i18n import _, current, format_date, format_datetime, format_money, format_number, ngettext, pgettext

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
FONTS = RESOURCES / "fonts"  # the bundled Noto Sans and Noto Sans Devanagari: Hindi reads on any browser


def money(amount: Decimal | str | None, currency: str) -> str:
    """An exact amount as people read it ("R$ 12,50"); as given when it is no amount of a known currency."""
    if amount is None or amount == "":
        return ""
    try:
        return format_money(Money.from_decimal(Decimal(amount), currency))
    except (MoneyError, ArithmeticError, ValueError):
        return f"{currency} {amount}".strip()


def when(at: datetime | str | None) -> str:
    if isinstance(at, str):
        try:
            return format_datetime(datetime.fromisoformat(at))
        except ValueError:
            return at
    return format_datetime(at) if at is not None else ""


def day(value: date) -> str:
    return format_date(value)


def status(value: str | None) -> str:
    """TillQR's status word in the back office's language ("settled"); an unknown one as it came."""
    try:
        return SaleStatus(value).word
    except ValueError:
        return value or ""


def stream(value: str) -> str:
    """A device's stream (one SQLite file) as a manager reads it."""
    words = {"journal": _("journal"), "fieldbook": _("field book")}
    return words.get(value, value)


def skew(seconds: float | None) -> str:
    if seconds is None:
        return ""
    tenths = Decimal(f"{seconds:.1f}") + 0  # + 0: no "-0.0"
    return _("{seconds} s").format(seconds=format_number(tenths.copy_abs() if tenths.is_zero() else tenths, 1))


def pretty(payload: object) -> str:
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=_, ngettext=ngettext, pgettext=pgettext, lang=lambda: (current().code or "en").replace("_", "-")
    )
    env.filters.update(money=money, when=when, day=day, status=status, stream=stream, skew=skew, pretty=pretty)
    return env
