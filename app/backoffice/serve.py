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
from .reconcile import open_searching
from .service import create_service


async def serve(
    dsn: str,
    host: str,
    port: int,
    *,
    banner: str | None = None,
    ready: Callable[[int], None] | None = None,
    reconcile: bool = False,
    demo: bool = False,
) -> None:
    """Serves until cancelled (the schema must be current: ``run`` migrates first). ``reconcile``: with the chain's
    provider as this machine is set up (``open_searching``), for the /reconcile page's "Run now". ``demo``: the
    providers' webhooks are checked with the demo secret (the sandbox's), not the keyring's."""
    handle = await open_searching() if reconcile else None
    pool = make_pool(dsn)
    app = create_service(pool, handle.provider if handle else None, secret_for=demo_secret if demo else keyring_secret)
    try:
        await pool.open(wait=True, timeout=30)
        await serve_asgi(app, host, port, banner=banner, ready=ready)
    finally:
        await app.state.relay.aclose()
        await pool.close()
        if handle is not None:
            await handle.aclose()


def run(
    dsn: str, host: str, port: int, *, banner: str | None = None, reconcile: bool = False, demo: bool = False
) -> None:
    """Migrates, then serves until interrupted (KeyboardInterrupt reaches the caller), on uvloop where it is
    installed (the ``backoffice`` extra: a quicker loop for the same code; asyncio's own elsewhere)."""
    migrate(dsn)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(serve(dsn, host, port, banner=banner, reconcile=reconcile, demo=demo))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # lazy: optional, and only the service's process wants it
    except ImportError:
        return None
    return uvloop.new_event_loop
