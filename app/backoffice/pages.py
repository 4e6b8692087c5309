"""The back office's pages, served beside the ingest API (``app.backoffice.service``), server-rendered:

    GET  /login, POST /login, POST /logout    a manager's session (argon2-checked password, app.backoffice.managers)
    GET  /                  the chain's day (``?day=YYYY-MM-DD``, today by default): totals, sales by store, till,
                            provider and status, open sales, the day's sales; kept live by /static/live.js, which
                            fetches GET /day (the same part of the page) every second and swaps it in
    GET  /sales/{sale_id}   a sale and its records, by device and seq
    GET  /readings          the field route's latest readings and sync states
    GET  /devices           devices: lag, skew, flagged, revoked; POST /devices/{id}/revoke
    GET  /conflicts         conflicts with both versions; POST /conflicts/{id}/resolve (keep first / take second)
    GET  /export.csv        the day's sales as CSV (``?day=``), amounts as the payloads' exact decimal strings
    GET  /reconcile         the last reconciliation run; POST /reconcile runs one (``pages_reconcile``)

Every page but /login needs a session: the cookie (HttpOnly, SameSite=Lax, Secure over https) holds the session's
id signed with the database's page key; every POST form carries the session's CSRF token (the login form a
signed one of its own), else 403. Answers carry a Content-Security-Policy allowing only this origin's script.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import date
from urllib.parse import parse_qs, quote

from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.i18n import _, ngettext
from app.providers.base import PaymentProvider

from . import db, managers, pages_data
from .pages_data import Dimension, Resolution
from .pages_reconcile import PageKit, reconcile_routes
from .pages_render import FONTS, STATIC, environment

SESSION_COOKIE = "tillqr_session"
LOGIN_COOKIE = "tillqr_login"
MAX_FORM = 64 * 1024  # bytes of a form's body
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_Page = Callable[[Request, managers.Session], Awaitable[Response]]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def page_routes(pool: AsyncConnectionPool, provider: PaymentProvider | None = None) -> list[BaseRoute]:
    """The pages' routes on ``pool`` (opened and closed by the caller); ``provider``: the one ``/reconcile``'s
    "Run now" asks (None: the page shows the last run only)."""
    env = environment()
    keys: list[bytes] = []  # the page key, read once (it never changes)

    async def key() -> bytes:
        if not keys:
            async with pool.connection() as conn:
                keys.append(await managers.page_key(conn))
        return keys[0]

    def render(name: str, status: int = 200, /, **context: object) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status, headers=HEADERS)

    async def session_of(request: Request) -> tuple[str, managers.Session] | None:
        signed = request.cookies.get(SESSION_COOKIE, "")
        session_id = managers.unsign(await key(), signed) if signed else None
        if session_id is None:
            return None
        async with pool.connection() as conn:
            session = await managers.session_for(conn, session_id)
        return (session_id, session) if session else None

    def authed(handler: _Page, *, fragment: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            found = await session_of(request)
            if found is None:
                if fragment:
                    return Response(status_code=401, headers=HEADERS)
                return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", status_code=303)
            try:
                return await handler(request, found[1])
            except _Refused as exc:
                return render("message.html", exc.status, manager=found[1].manager, message=str(exc))

        return guarded

    async def posted(request: Request, session: managers.Session) -> dict[str, str]:
        form = await _form(request)
        if not secrets.compare_digest(form.get("csrf", "").encode(), session.csrf.encode()):
            raise _Refused(403, _("This form has expired: open the page again and repeat."))
        return form

    # -- login ---------------------------------------------------------------------------------------------
    async def login_form(request: Request, error: str = "", status: int = 200) -> Response:
        nonce = secrets.token_urlsafe(24)
        answer = render(
            "login.html", status, csrf=nonce, error=error, next=_next(request.query_params.get("next", "/"))
        )
        _cookie(answer, request, LOGIN_COOKIE, managers.sign(await key(), nonce), path="/login", strict=True)
        return answer

    async def login_page(request: Request) -> Response:
        return await login_form(request)

    async def login(request: Request) -> Response:
        try:
            form = await _form(request)
        except _Refused as exc:
            return Response(str(exc), status_code=exc.status, headers=HEADERS)
        nonce = managers.unsign(await key(), request.cookies.get(LOGIN_COOKIE, ""))
        if nonce is None or not secrets.compare_digest(nonce.encode(), form.get("csrf", "").encode()):
            return await login_form(request, _("This form has expired: log in again."), 403)
        name = form.get("name", "").strip()
        async with pool.connection() as conn:
            wait = await managers.locked_for(conn, name)
            if wait is not None:
                minutes = max(1, -(-int(wait.total_seconds()) // 60))
                return await login_form(
                    request,
                    ngettext(
                        "Too many wrong passwords for this name: try again in {n} minute.",
                        "Too many wrong passwords for this name: try again in {n} minutes.",
                        minutes,
                    ).format(n=minutes),
                    429,
                )
            if not await managers.check_password(conn, name, form.get("password", "")):
                await managers.note_failure(conn, name)
                return await login_form(request, _("Wrong name or password."), 401)
            await managers.forget_failures(conn, name)
            session_id, _session = await managers.open_session(conn, name)
        answer = RedirectResponse(_next(form.get("next", "/")), status_code=303, headers=HEADERS)
        _cookie(answer, request, SESSION_COOKIE, managers.sign(await key(), session_id))
        answer.delete_cookie(LOGIN_COOKIE, path="/login")
        return answer

    async def logout(request: Request) -> Response:
        found = await session_of(request)
        if found is not None:
            form = await _form(request)
            if not secrets.compare_digest(form.get("csrf", "").encode(), found[1].csrf.encode()):
                return Response(status_code=403, headers=HEADERS)
            async with pool.connection() as conn:
                await managers.close_session(conn, found[0])
        answer = RedirectResponse("/login", status_code=303, headers=HEADERS)
        answer.delete_cookie(SESSION_COOKIE, path="/")
        return answer

    # -- pages ---------------------------------------------------------------------------------------------
    async def day_context(request: Request) -> dict[str, object]:
        the_day = _day(request)
        async with pool.connection() as conn:
            view = await pages_data.day_view(conn, the_day)
            stores = await pages_data.store_days(conn, the_day)
        return {"view": view, "dims": list(Dimension), "day_iso": the_day.isoformat(), "stores": stores}

    async def day_page(request: Request, session: managers.Session) -> Response:
        return render("day.html", session=session, manager=session.manager, **await day_context(request))

    async def close_day(request: Request, session: managers.Session) -> Response:
        """A store's business day closed by the manager: its records arriving later are filed under it, late."""
        form = await posted(request, session)
        try:
            the_day = date.fromisoformat(form.get("day", ""))
        except ValueError:
            raise _Refused(400, _("{day} is not a day (YYYY-MM-DD).").format(day=form.get("day", "")[:20])) from None
        async with pool.connection() as conn:
            await db.close_day(conn, form.get("store", ""), the_day.isoformat(), by=session.manager)
        return RedirectResponse(f"/?day={the_day.isoformat()}", status_code=303, headers=HEADERS)

    async def day_fragment(request: Request, session: managers.Session) -> Response:
        return render("_day.html", session=session, **await day_context(request))  # its forms carry the token

    async def sale_page(request: Request, session: managers.Session) -> Response:
        sale_id = request.path_params["sale_id"]
        async with pool.connection() as conn:
            sale, history = await pages_data.sale_history(conn, sale_id)
        if sale is None and not history:
            raise _Refused(404, _("No sale {sale} has reached the back office.").format(sale=sale_id))
        return render(
            "sale.html", session=session, manager=session.manager, sale_id=sale_id, sale=sale, history=history
        )

    async def readings_page(_request: Request, session: managers.Session) -> Response:
        async with pool.connection() as conn:
            rows = await pages_data.readings(conn)
        return render("readings.html", session=session, manager=session.manager, rows=rows)

    async def devices_page(_request: Request, session: managers.Session) -> Response:
        async with pool.connection() as conn:
            rows = await pages_data.devices(conn)
        return render("devices.html", session=session, manager=session.manager, rows=rows)

    async def revoke(request: Request, session: managers.Session) -> Response:
        await posted(request, session)
        async with pool.connection() as conn:
            if not await db.revoke(conn, request.path_params["device_id"]):
                raise _Refused(404, _("There is no such device."))
        return RedirectResponse("/devices", status_code=303, headers=HEADERS)

    async def conflicts_page(_request: Request, session: managers.Session) -> Response:
        async with pool.connection() as conn:
            rows = await pages_data.conflicts(conn)
        return render("conflicts.html", session=session, manager=session.manager, rows=rows)

    async def resolve(request: Request, session: managers.Session) -> Response:
        form = await posted(request, session)
        try:
            how = Resolution(form.get("resolution", ""))
        except ValueError:
            raise _Refused(400, _("Choose which version stands.")) from None
        async with pool.connection() as conn:
            if not await pages_data.resolve_conflict(
                conn, int(request.path_params["conflict_id"]), how, session.manager
            ):
                raise _Refused(409, _("This conflict is already resolved, or there is no such conflict."))
        return RedirectResponse("/conflicts", status_code=303, headers=HEADERS)

    async def export(request: Request, _session: managers.Session) -> Response:
        the_day = _day(request)
        async with pool.connection() as conn:
            rows = await pages_data.export_rows(conn, the_day)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(_cell(row) for row in rows)
        name = f"tillqr-sales-{the_day.isoformat()}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", authed(day_page), methods=["GET"]),
        Route("/day", authed(day_fragment, fragment=True), methods=["GET"]),
        Route("/days/close", authed(close_day), methods=["POST"]),
        Route("/sales/{sale_id}", authed(sale_page), methods=["GET"]),
        Route("/readings", authed(readings_page), methods=["GET"]),
        Route("/devices", authed(devices_page), methods=["GET"]),
        Route("/devices/{device_id}/revoke", authed(revoke), methods=["POST"]),
        Route("/conflicts", authed(conflicts_page), methods=["GET"]),
        Route("/conflicts/{conflict_id:int}/resolve", authed(resolve), methods=["POST"]),
        Route("/export.csv", authed(export), methods=["GET"]),
        *reconcile_routes(pool, provider, PageKit(authed, posted, render, HEADERS)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Mount("/fonts", StaticFiles(directory=FONTS), name="fonts"),
    ]


EXPORT_COLUMNS = (
    "sale_id",
    "business_day",
    "store",
    "device",
    "device_id",
    "provider",
    "status",
    "amount",
    "currency",
    "amount_received",
    "amount_refunded",
    "created_at",
    "closed_at",
)


def _cell(row: tuple[str, ...]) -> list[str]:
    """A row for a spreadsheet: a text (not a number) starting with = + - @ is prefixed with ' (no formula runs
    when it is opened)."""
    return [f"'{v}" if v[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(v) else v for v in row]


def _day(request: Request) -> date:
    raw = request.query_params.get("day", "")
    if not raw:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _Refused(400, _("{day} is not a day (YYYY-MM-DD).").format(day=raw[:20])) from None


def _next(target: str) -> str:
    """Where to go after logging in: a path on this site only."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _cookie(
    answer: Response, request: Request, name: str, value: str, *, path: str = "/", strict: bool = False
) -> None:
    answer.set_cookie(
        name,
        value,
        max_age=int(managers.SESSION_TTL.total_seconds()),
        path=path,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict" if strict else "lax",
    )


async def _form(request: Request) -> dict[str, str]:
    """A url-encoded form's fields (the first value of each)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise _Refused(413, _("This form is too large."))
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, _("This form could not be read.")) from None
    return {name: values[0] for name, values in fields.items()}
