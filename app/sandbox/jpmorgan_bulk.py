"""J.P. Morgan's calls over many things at once, in the sandbox: the bulk create (a result per item, as
CouchDB's ``_bulk_docs`` answers) and the searches of payment requests and payment links (pages with a cursor).

The rules are in ``jpmorgan.py``'s docstring. A search scans (it is rare); a bulk item costs what one create costs.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from .core import SandboxState
from .jpmorgan_body import WORD_PHASES, check_external_id, error_body, invalid, link_json, request_json
from .jpmorgan_requests import NAME, create_item
from .model import SandboxError, SimLink, SimRequest

MAX_BULK = 25
MAX_PAGE = 100
T = TypeVar("T")


def bulk(state: SandboxState, body: dict[str, Any]) -> tuple[int, Any]:
    """``POST /payment-requests/bulk``: 207 with one result per item, in the order sent."""
    items = body.get("paymentRequests")
    if set(body) != {"paymentRequests"} or not isinstance(items, list) or not 1 <= len(items) <= MAX_BULK:
        raise invalid(
            [{"field": "paymentRequests", "message": f"must be the only field: a list of 1 to {MAX_BULK} requests"}]
        )
    results: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            status, answer = create_item(state, item)
        except SandboxError as exc:
            error = error_body(exc.status, exc.code, exc.message, exc.errors)
            results.append({"index": index, "httpStatus": exc.status, "error": error})
        else:
            results.append({"index": index, "httpStatus": status, "paymentRequest": answer})
    return 207, {"results": results}


# -- searches --------------------------------------------------------------------
def _bad(field: str, message: str) -> SandboxError:
    return invalid([{"field": field, "message": message}])


def _when(params: Mapping[str, str], field: str) -> datetime | None:
    text = params.get(field)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise _bad(field, "must be an ISO 8601 time with its zone, like 2025-03-01T12:00:00Z")
    return when


def _page(found: Sequence[T], params: Mapping[str, str], render: Callable[[T], Any]) -> tuple[list[Any], str | None]:
    """One page of ``found`` (in creation order) from ``cursor``, at most ``limit`` long, and the next cursor."""
    limit_text = params.get("limit", str(MAX_PAGE))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE:
        raise _bad("limit", f"must be a whole number from 1 to {MAX_PAGE}")
    limit = int(limit_text)
    start = 0
    if "cursor" in params:
        try:
            start = int(base64.urlsafe_b64decode(params["cursor"].encode()).decode().removeprefix("offset:"))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise _bad("cursor", "is not a cursor this search gave") from None
        if start < 0:
            raise _bad("cursor", "is not a cursor this search gave")
    end = start + limit
    cursor = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(found) else None
    return [render(x) for x in found[start:end]], cursor


def _only(params: Mapping[str, str], allowed: set[str]) -> None:
    for name in sorted(set(params) - allowed):
        raise _bad(name, "is not a search parameter here")


def search_requests(state: SandboxState, params: Mapping[str, str]) -> dict[str, Any]:
    """``GET /payment-requests?status&externalId&createdFrom&createdTo&limit&cursor``."""
    _only(params, {"status", "externalId", "createdFrom", "createdTo", "limit", "cursor"})
    word = params.get("status")
    if word is not None and word not in WORD_PHASES:
        raise _bad("status", f"must be one of {', '.join(WORD_PHASES)}")
    external = params.get("externalId")
    if errors := check_external_id(external):
        raise invalid(errors)
    since, until = _when(params, "createdFrom"), _when(params, "createdTo")

    def keep(r: SimRequest) -> bool:
        return (
            r.provider == NAME
            and (word is None or r.phase is WORD_PHASES[word])
            and (external is None or r.extra.get("externalId") == external)
            and (since is None or r.created_at >= since)
            and (until is None or r.created_at < until)
        )

    found = [r for r in state.requests() if keep(r)]
    page, cursor = _page(found, params, lambda r: request_json(state, r))
    return {"paymentRequests": page, "nextCursor": cursor}


def search_links(state: SandboxState, params: Mapping[str, str]) -> dict[str, Any]:
    """``GET /payment-links?externalId&limit&cursor``."""
    _only(params, {"externalId", "limit", "cursor"})
    external = params.get("externalId")
    if errors := check_external_id(external):
        raise invalid(errors)
    found: list[SimLink] = [
        link
        for link in state.links()
        if link.provider == NAME and (external is None or link.extra.get("externalId") == external)
    ]
    page, cursor = _page(found, params, link_json)
    return {"paymentLinks": page, "nextCursor": cursor}
