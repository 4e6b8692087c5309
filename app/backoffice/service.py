"""The back office service as one ASGI app: the ingest API (``ingest``) and the pages (``pages``) on one pool."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette

from app.providers.base import PaymentProvider

from .ingest import create_app
from .pages import page_routes


def create_service(pool: AsyncConnectionPool, provider: PaymentProvider | None = None) -> Starlette:
    """The API under /api/v1 and the pages at /, on ``pool`` (opened and closed by the caller); ``provider``: the
    chain's, for the /reconcile page's "Run now" (None: that page only shows the last run)."""
    return Starlette(routes=[*create_app(pool).routes, *page_routes(pool, provider)])
