"""``tillqr backoffice serve``: the schema brought up to date, then the ingest API, the pages and the notification
relay on uvicorn until interrupted.

Several instances may be started on one database (behind a load balancer, or on several ports): they share
nothing but PostgreSQL, and the first to start migrates while the others wait on its advisory lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.notifications.serve import demo_secret, keyring_secret
from app.webserve import serve_asgi

from .db import make_pool
from .migrate import migrate
from .service import create_service


async def serve(
    dsn: str,
    host: str,
    port: int,
    *,
    banner: str | None = None,
    ready: Callable[[int], None] | None = None,
    demo: bool = False,
) -> None:
    """Serves until cancelled (the schema must be current: ``run`` migrates first). ``demo``: the providers'
    webhooks are checked with the demo secret (the sandbox's), not the keyring's."""
    pool = make_pool(dsn)
    await pool.open(wait=True, timeout=30)
    app = create_service(pool, secret_for=demo_secret if demo else keyring_secret)
    try:
        await serve_asgi(app, host, port, banner=banner, ready=ready)
    finally:
        await app.state.relay.aclose()
        await pool.close()


def run(dsn: str, host: str, port: int, *, banner: str | None = None, demo: bool = False) -> None:
    """Migrates, then serves until interrupted (KeyboardInterrupt reaches the caller)."""
    migrate(dsn)
    asyncio.run(serve(dsn, host, port, banner=banner, demo=demo))
