"""This machine's clock against a provider's: read from the HTTP ``Date`` of its answers (``ProviderHttp`` keeps
the latest difference as ``clock_skew``), and said to the manager when it is over a minute (``SKEW_WARN_S``):
a till whose clock is wrong sees requests expire too early or too late."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime

import httpx

from app.i18n import _, format_number, ngettext

SKEW_WARN_S = 60.0  # a clock further off than this from the provider's is said to the manager


def answer_date(response: httpx.Response) -> datetime | None:
    """When the server says it answered (its last ``Date`` header), or None without a readable one."""
    for value in reversed(response.headers.get_list("date")):
        try:
            stamp = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            continue
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return None


def clock_skew_of(provider: object) -> float | None:
    """The provider's clock minus this machine's, in seconds, from its latest dated answer (None: none yet)."""
    skew = getattr(getattr(provider, "http", None), "clock_skew", None)  # ProviderHttp's, when it has one
    return float(skew) if isinstance(skew, (int, float)) else None


def skew_words(skew: float | None) -> str | None:
    """For the manager, a clock over ``SKEW_WARN_S`` off the provider's; None when it is close enough or unknown."""
    if skew is None or abs(skew) <= SKEW_WARN_S:
        return None
    n = abs(skew)
    if n >= 5400:
        size = _("{hours} hours").format(hours=format_number(Decimal(f"{n / 3600:.1f}"), 1))
    elif n >= 90:
        size = ngettext("{n} minute", "{n} minutes", round(n / 60)).format(n=format_number(round(n / 60)))
    else:
        size = ngettext("{n} second", "{n} seconds", round(n)).format(n=format_number(round(n)))
    if skew > 0:
        text = _(
            "This computer's clock is {size} behind the payment provider's. Set the right time (or turn on "
            "automatic time setting): with a wrong clock, payments expire too early or too late."
        )
    else:
        text = _(
            "This computer's clock is {size} ahead of the payment provider's. Set the right time (or turn on "
            "automatic time setting): with a wrong clock, payments expire too early or too late."
        )
    return text.format(size=size)
