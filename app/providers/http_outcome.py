"""What one attempt of ``app.providers.http.ProviderHttp`` came to: the answer read into JSON (or the caller's
``parse``), or the typed error of ``app.providers.base`` that the client's docstring tabulates.

``answer`` reads an HTTP answer (2xx: JSON, then ``parse``; an error status: the provider's ``error_parser``,
then the error class its status calls for); ``failure`` words an attempt that got no answer (a timeout, a
dropped or refused connection, a certificate that does not verify, an unreadable answer). Both name the
provider in the error; neither retries (``app.retry`` decides that, in the client).
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import httpx

from app.domain.jsontypes import Json
from app.i18n import _, format_number

from .base import (
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    ProviderUntrusted,
)
from .http_words import NO_ANSWER_WITHIN, NO_SUCH_PATH, NOT_JSON, UNREACHABLE, UNTRUSTED
from .parsing import error_json, status_line

log = logging.getLogger("tillqr.providers.http")

T = TypeVar("T")
ErrorParser = Callable[[httpx.Response], tuple[str, str]]  # -> (message, code)
Parse = Callable[[Json], T]  # an answer's JSON read into the caller's words (or ProviderProtocolError)


def default_error_parser(response: httpx.Response) -> tuple[str, str]:
    """Best effort for unknown error bodies: a 'message'-like field, else the status line."""
    data = error_json(response)
    if isinstance(data, dict):
        for key in ("message", "error_description", "description", "detail", "title", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value, str(data.get("code", ""))
    return status_line(response), ""


def _json_object(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except (ValueError, RecursionError):  # garbage, or JSON nested past the recursion limit
        return False


def _certificate_problem(exc: BaseException) -> str | None:
    """Why the server's certificate was refused, when that is what ``exc`` (or what it wraps) says."""
    seen: BaseException | None = exc
    for _depth in range(8):  # httpx wraps httpcore, which wraps ssl
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def failure(exc: TimeoutError | httpx.RequestError | OSError, provider: str, call: str, limit: float) -> ProviderError:
    """The typed error for an attempt (``call``: "POST /v1/qr", for the log) that got no answer within ``limit``
    seconds: a timeout of the attempt or of a read (slow), a connection that failed (unreachable), a certificate
    that does not verify (untrusted, never retried), an answer that could not be read."""
    if isinstance(exc, TimeoutError):  # the attempt's own bound (asyncio.timeout); an OSError too, so first
        seconds = format_number(Decimal(f"{limit:.1f}"), 1)
        return ProviderTimeout(NO_ANSWER_WITHIN.format(seconds=seconds), provider=provider)
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderUnavailable(_("could not connect in time (connection timed out)"), provider=provider)
    if isinstance(exc, httpx.TimeoutException):
        log.info("%s %s: no answer in time (%s)", provider, call, type(exc).__name__)
        return ProviderTimeout(_("did not answer in time"), provider=provider)
    if isinstance(exc, httpx.TransportError):
        untrusted = _certificate_problem(exc)
        if untrusted is not None:
            return ProviderUntrusted(UNTRUSTED.format(why=untrusted), provider=provider)
    elif isinstance(exc, httpx.RequestError):  # e.g. a body that cannot be decoded
        log.info("%s %s: answer unreadable (%s: %s)", provider, call, type(exc).__name__, exc)
        return ProviderProtocolError(_("its answer could not be read"), provider=provider)
    # a transport error, or an in-process ASGI app dropping the "connection" (OSError)
    log.info("%s %s: connection failed (%s: %s)", provider, call, type(exc).__name__, exc)
    return ProviderUnavailable(str(UNREACHABLE), provider=provider)


def answer(
    response: httpx.Response,
    parse: Parse[T] | None,
    *,
    provider: str,
    error_parser: ErrorParser = default_error_parser,
    json_decimals: bool = False,
) -> T | Json:
    """A 2xx answer's JSON (numbers with a fraction as ``Decimal`` when ``json_decimals``), through ``parse``
    when given; any other status raised as the typed error its status calls for."""
    status = response.status_code

    def error(cls: type[ProviderError], message: str, code: str = "") -> ProviderError:
        return cls(message, provider=provider, status_code=status, code=code)

    if 200 <= status < 300:
        try:
            data = (
                json.loads(response.content, parse_float=Decimal if json_decimals else None)
                if response.content
                else None
            )
        except (ValueError, RecursionError):  # nested past the recursion limit: unreadable too
            raise error(ProviderProtocolError, NOT_JSON.format(status=status)) from None
        if parse is None:
            return data
        try:
            return parse(data)
        except ProviderError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.info("%s: answer %d not understood (%s: %s)", provider, status, type(exc).__name__, exc)
            raise error(ProviderProtocolError, _("its answer could not be understood")) from None
    if status < 400:
        raise error(ProviderProtocolError, _("unexpected HTTP {status}").format(status=status))
    try:
        message, code = error_parser(response)
    except Exception:  # noqa: BLE001 - a broken error body must not hide the status
        message, code = default_error_parser(response)
    if status in (401, 403):
        cls: type[ProviderError] = ProviderAuthError
    elif status == 404 and not _json_object(response):
        # No error body of the provider's: the path itself is unknown here (a wrong base URL, a
        # gateway, a proxy). Not proof that a request is absent, so never ProviderNotFound.
        cls, message = ProviderProtocolError, NO_SUCH_PATH.format(path=response.request.url.path)
    elif status == 404:
        cls = ProviderNotFound
    elif status in (409, 412):  # 412: the thing changed since it was read (If-Match)
        cls = ProviderConflict
    elif status == 429 or status >= 500:
        cls = ProviderUnavailable
    else:
        cls = ProviderRejected
    raised = error(cls, message, code)
    if cls is ProviderUnavailable:
        raised.retry_after = _retry_after(response)  # type: ignore[attr-defined]
    raise raised
