"""One ASGI app served on uvicorn until cancelled: the sandbox (``tillqr sandbox``) and the notification receiver
(``tillqr notifications serve``) share it. Imports nothing from ``app``; uvicorn is imported only when serving."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from starlette.types import ASGIApp


def bind(host: str, port: int) -> socket.socket:
    """A listening socket bound here (a port in use is an OSError the caller words); ``port=0``: a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by every accepted connection: without it each answer after the first on a kept-alive
    # connection waited ~40 ms (Nagle's algorithm meeting the client's delayed ACK).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


async def serve_asgi(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    banner: str | None = None,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Serve ``app`` until cancelled; once it listens, prints ``banner`` followed by `` on http://HOST:PORT`` (when
    given) and calls ``ready(port)``."""
    import uvicorn  # lazy: the web server only when something is served

    sock = bind(host, port)
    actual_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", proxy_headers=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn offers no started event
            await asyncio.sleep(0.01)
        if server.started and banner:
            print(f"{banner} on http://{host}:{actual_port}", flush=True)
        if server.started and ready is not None:
            ready(actual_port)
        await task
    finally:
        if not task.done():
            server.should_exit = True
            await asyncio.wait({task}, timeout=5)
        sock.close()
