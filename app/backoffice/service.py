"""The back office service as one ASGI app: the ingest API (``ingest``), the pages (``pages``) and the
notification relay (``relay``) on one pool."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette

from app.notifications.intake import SecretFor
from app.notifications.serve import keyring_secret
from app.providers.base import PaymentProvider

from .ingest import create_app
from .pages import page_routes
from .relay import create_relay, relay_routes


def create_service(
    pool: AsyncConnectionPool, provider: PaymentProvider | None = None, *, secret_for: SecretFor = keyring_secret
) -> Starlette:
    """The API under /api/v1, the pages at /, the notification relay at /notifications and the devices' events
    websocket, on ``pool`` (opened and closed by the caller, who also awaits ``app.state.relay.aclose()``).
    ``provider``: the chain's, for the /reconcile page's "Run now" (None: that page only shows the last run).
    ``secret_for``: the providers' webhook secrets (the keyring's; ``demo_secret`` under ``--demo``)."""
    relay = create_relay(pool, secret_for)
    app = Starlette(routes=[*create_app(pool).routes, *page_routes(pool, provider), *relay_routes(relay)])
    app.state.relay = relay
    return app
