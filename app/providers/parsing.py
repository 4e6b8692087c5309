"""Reading provider answers: shared checks that turn a malformed answer into ``ProviderProtocolError``, and the
first reading of an error answer (its JSON, else its status line).

Each provider module binds them to its name (``functools.partial``), so an error says whose answer it was.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from app.domain.jsontypes import Json, JsonObject
from app.i18n import LazyText, _

from .base import ProviderProtocolError


def protocol(provider: str, what: str) -> ProviderProtocolError:
    return ProviderProtocolError(what, provider=provider)


def obj(provider: str, data: object, what: str | LazyText) -> JsonObject:
    if not isinstance(data, dict):
        raise protocol(provider, _("{what} is not a JSON object").format(what=what))
    return data


def text(provider: str, data: JsonObject, key: str, what: str | LazyText) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise protocol(provider, _("{what} has no {key}").format(what=what, key=key))
    return value


def aware_time(provider: str, value: object, what: str | LazyText) -> datetime | None:
    """An ISO 8601 time with a zone, in UTC; None stays None."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise protocol(
            provider, _("{what} is not an ISO 8601 time with a zone: {value!r}").format(what=what, value=value)
        )
    return parsed.astimezone(UTC)


def error_json(response: httpx.Response) -> Json:
    """The error answer's JSON, or None when it is not JSON (each provider's ``parse_error`` reads it)."""
    try:
        return response.json()
    except (ValueError, RecursionError):  # nested past the recursion limit: not an error body
        return None


def status_line(response: httpx.Response) -> str:
    """``HTTP 503 Service Unavailable``: what an error says when its body says nothing readable."""
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()
