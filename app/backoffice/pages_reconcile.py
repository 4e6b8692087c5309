"""The ``/reconcile`` page: the last reconciliation run (``app.backoffice.reconcile``) and when, its findings in
their three groups with links to the sales held; ``POST /reconcile`` runs one now (CSRF as every form) when the
service was started with a provider, for the day the form names (today by default), by the manager logged in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date

from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.i18n import _
from app.providers.base import PaymentProvider, ProviderError

from . import managers, reconcile
from .reconcile import CannotSearch, Kind, group_title

Handler = Callable[[Request, managers.Session], Awaitable[Response]]


@dataclass(frozen=True)
class PageKit:
    """What every page shares (``pages.page_routes`` makes it): the login guard, a posted form's fields (its CSRF
    token checked), the template renderer and the answers' headers."""

    guard: Callable[[Handler], Callable[[Request], Awaitable[Response]]]
    posted: Callable[[Request, managers.Session], Awaitable[dict[str, str]]]
    render: Callable[..., HTMLResponse]
    headers: Mapping[str, str]


def reconcile_routes(pool: AsyncConnectionPool, provider: PaymentProvider | None, kit: PageKit) -> list[BaseRoute]:
    """``GET`` and ``POST /reconcile`` on ``pool``; without ``provider`` the page shows the last run only."""

    def message(session: managers.Session, status: int, text: str) -> Response:
        return kit.render("message.html", status, session=session, manager=session.manager, message=text)

    async def page(request: Request, session: managers.Session) -> Response:
        raw = request.query_params.get("day", "").strip()
        try:
            day = date.fromisoformat(raw) if raw else None  # none asked: the latest run of any day
        except ValueError:
            return message(session, 400, _("{day} is not a day (YYYY-MM-DD).").format(day=raw[:20]))
        async with pool.connection() as conn:
            run = await reconcile.last_run(conn, day)
        return kit.render(
            "reconcile.html",
            session=session,
            manager=session.manager,
            run=run,
            kinds=list(Kind),
            title=group_title,
            can_run=provider is not None,
            today=(day or date.today()).isoformat(),
            asked=day,
        )

    async def run_now(request: Request, session: managers.Session) -> Response:
        form = await kit.posted(request, session)
        if provider is None:
            return message(
                session, 409, _("This service was started without a provider: run tillqr backoffice reconcile.")
            )
        raw = form.get("day", "").strip()
        try:
            day = date.fromisoformat(raw) if raw else date.today()
        except ValueError:
            return message(session, 400, _("{day} is not a day (YYYY-MM-DD).").format(day=raw[:20]))
        try:
            async with pool.connection() as conn:
                await reconcile.reconcile(conn, provider, day, run_by=session.manager)
        except CannotSearch as exc:
            return message(session, 409, str(exc))
        except ProviderError as exc:
            return message(session, 503, str(exc.words))
        return RedirectResponse(f"/reconcile?day={day.isoformat()}", status_code=303, headers=dict(kit.headers))

    return [
        Route("/reconcile", kit.guard(page), methods=["GET"]),
        Route("/reconcile", kit.guard(run_now), methods=["POST"]),
    ]
