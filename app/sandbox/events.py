"""``/_sandbox/events``: a websocket of status events, for TillQR's push watcher.

Each change of a request (a new status, or a partial payment) is sent as
``{"provider", "request_id", "status", "amount_paid", "at"}`` with ``status`` in the
provider's own word. Optional query ``?provider=NAME`` filters. Events are hints for
the watcher, which then asks the provider's API for the truth. A slow client loses
the oldest events (bounded queue), never blocks the sandbox.

``POST /_sandbox/events/drop`` closes every open events socket, to show the
watcher falling back to polling.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from .model import SimRequest, iso

QUEUE_SIZE = 1000


def event_json(state: Any, req: SimRequest) -> dict[str, Any]:
    return {
        "provider": req.provider,
        "request_id": req.id,
        "status": state.word(req),
        "amount_paid": str(req.amount_paid),
        "at": iso(state.now()),
    }


async def events(ws: WebSocket) -> None:
    state = ws.app.sandbox
    only = ws.query_params.get("provider")
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)

    def listener(req: SimRequest) -> None:
        if only and req.provider != only:
            return
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(event_json(state, req))

    await ws.accept()
    state.listeners.append(listener)
    sockets: set[WebSocket] = ws.app.event_sockets
    sockets.add(ws)
    closed = asyncio.ensure_future(_until_closed(ws))
    try:
        while not closed.done():
            getting = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getting, closed}, return_when=asyncio.FIRST_COMPLETED)
            if getting not in done:
                getting.cancel()
                break
            await ws.send_json(getting.result())
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        closed.cancel()
        sockets.discard(ws)
        if listener in state.listeners:
            state.listeners.remove(listener)


async def _until_closed(ws: WebSocket) -> None:
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return


async def drop(request: Request) -> Response:
    sockets = list(request.app.event_sockets)
    for ws in sockets:
        try:
            await ws.close(code=1012)  # "service restart": the client reconnects
        except RuntimeError:
            pass
    return JSONResponse({"dropped": len(sockets)})
