"""`tillqr sandbox` with TCP_NODELAY on its listening socket (``run.py --nodelay-sandbox``).

Each request after the first on a kept-alive connection to `tillqr sandbox` waits about 40 ms
(Nagle's algorithm on the server's socket meeting the client's delayed ACK; curl shows it too), so
10,000 sales against it take most of an hour. The till's own memory does not depend on that wait;
this launcher lets the memory figure be taken in minutes. Same app, same port announcement."""

from __future__ import annotations

import asyncio
import socket
import sys

from app.sandbox import server

_bind = server._bind


def _bind_nodelay(host: str, port: int) -> socket.socket:
    sock = _bind(host, port)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by every accepted connection
    return sock


if __name__ == "__main__":
    server._bind = _bind_nodelay
    asyncio.run(server.serve("127.0.0.1", int(sys.argv[1])))
