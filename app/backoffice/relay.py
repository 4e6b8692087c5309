"""The chain's notification receiver, hosted by the back office, and the tills' push source.

Providers need a public URL to notify, which a till behind NAT lacks; the back office has one.

    POST /notifications/{provider}  exactly the till's checks (``app.notifications.intake``: provider, content
                          type, 1 MB, signature with the back office machine's keyring secret — or the demo
                          secret under ``--demo`` — JSON); an unsigned provider's (Depay, J.P. Morgan) notice is
                          believed only for a request some device's sale holds here (``sales.payload``'s
                          ``request_id``), else "ignored". Each accepted one is stored once in ``notifications``
                          (a replay, to any instance, is "duplicate": its event key or body key is UNIQUE) and
                          announced with NOTIFY in the same transaction.
    GET  /notifications   {"ok", "providers", "counts"} (this instance's)
    GET  /api/v1/devices/{id}/events   websocket; the device's token in ``Authorization: Bearer``; 401 without
                          a known token, 403 a revoked device or another device's id. Sends each notification as
                          ``{"id", "provider", "request_id", "status", "amount_paid"}`` (what
                          ``app.checkout.push.WebSocketHub`` reads), to the device whose sale holds the request,
                          else to every device (a hint: a till ignores requests it does not follow).
                          ``?after=<id>``: first what was stored after that id (the last two days' at most).

Every instance forwards every notification to the devices connected to it (``fanout.Fanout``, LISTEN).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field

import psycopg
from psycopg_pool import AsyncConnectionPool
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.notifications.intake import Answer, Arrival, Intake, SecretFor
from app.replication.wire import API

from . import db
from .fanout import CHANNEL, REPLAY_OVERLAP, SELECT_RELAYED, Fanout, Relayed

log = logging.getLogger("tillqr.backoffice")

REPLAY_LIMIT = 10_000  # notifications sent for one ?after= at most
REPLAY_WINDOW = "2 days"  # …and only those received this recently (providers retry for about a day)

_INSERT = """
INSERT INTO notifications (provider, request_id, status, amount, device_id, event_key, body_key)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
RETURNING id
"""


@dataclass
class Relay(Intake):
    """The receiver's checks (``Intake``) storing and announcing what passes them; ``fanout`` sends it on."""

    pool: AsyncConnectionPool
    secret_for: SecretFor
    fanout: Fanout
    counts: Counter[str] = field(default_factory=Counter)

    async def take(self, arrival: Arrival) -> Answer:
        source, notice = arrival.source, arrival.notice
        async with self.pool.connection() as conn:
            holder = await _holder(conn, notice.request_id)
            if holder is None and not source.signed:
                log.info("%s notification for %s ignored: no device holds the request", source.name, notice.what)
                return Answer.IGNORED
            async with conn.transaction():
                cur = await conn.execute(
                    _INSERT,
                    (
                        source.name,
                        notice.request_id,
                        notice.what,
                        notice.amount,
                        holder,
                        arrival.event_key,
                        arrival.body_key,
                    ),
                )
                row = await cur.fetchone()
                if row is None:
                    return Answer.DUPLICATE
                relayed = Relayed(int(row[0]), source.name, notice.request_id, notice.what, notice.amount, holder)
                await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, relayed.announcement()))
        log.info("%s notification %s for request %s relayed (%s)", source.name, notice.what, notice.request_id, holder)
        return Answer.ACCEPTED

    async def events(self, ws: WebSocket) -> None:
        """The device's websocket: refused before the handshake completes, or fed until it closes."""
        after = _after(ws.query_params.get("after"))
        async with self.pool.connection() as conn:
            device = await _device(conn, ws)
        if isinstance(device, Response):
            await _deny(ws, device)
            return
        try:
            await self.fanout.ready()
        except TimeoutError:
            await _deny(ws, JSONResponse({"error": "the relay is not listening; try again"}, status_code=503))
            return
        queue = self.fanout.subscribe(device.id)  # before the replay: what arrives meanwhile is queued
        try:
            await ws.accept()
            replayed = set()
            if after is not None:
                for relayed in await self._since(device.id, after):
                    await ws.send_json(relayed.event())
                    replayed.add(relayed.id)
            await _feed(ws, queue, replayed)
        except (WebSocketDisconnect, OSError):
            pass
        finally:
            self.fanout.unsubscribe(device.id, queue)

    async def _since(self, device_id: str, after: int) -> list[Relayed]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"{SELECT_RELAYED} WHERE id > %s AND (device_id = %s OR device_id IS NULL)"
                f" AND received_at > now() - %s::interval ORDER BY id LIMIT %s",
                (max(after - REPLAY_OVERLAP, 0), device_id, REPLAY_WINDOW, REPLAY_LIMIT),
            )
            return [Relayed(*row) for row in await cur.fetchall()]

    async def aclose(self) -> None:
        await self.fanout.aclose()


def relay_routes(relay: Relay) -> list[BaseRoute]:
    return [
        Route("/notifications", relay.health, methods=["GET"]),
        Route("/notifications/{provider}", relay.handle, methods=["POST"]),
        WebSocketRoute(f"{API}/devices/{{device_id}}/events", relay.events),
    ]


def create_relay(pool: AsyncConnectionPool, secret_for: SecretFor) -> Relay:
    """The relay on ``pool``; its fanout listens on a connection of its own to the pool's database."""
    if not isinstance(pool.conninfo, str):
        raise TypeError("the relay listens on the pool's DSN: give the pool one as a string")
    return Relay(pool, secret_for, Fanout(pool.conninfo))


async def _holder(conn: psycopg.AsyncConnection, request_id: str) -> str | None:
    """The device whose sale holds ``request_id`` (the latest such sale's), or None."""
    cur = await conn.execute(
        "SELECT device_id FROM sales WHERE payload ->> 'request_id' = %s ORDER BY created_at DESC NULLS LAST LIMIT 1",
        (request_id,),
    )
    row = await cur.fetchone()
    return str(row[0]) if row else None


async def _device(conn: psycopg.AsyncConnection, ws: WebSocket) -> db.Device | Response:
    scheme, _, token = ws.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return JSONResponse({"error": "a device token is needed (Authorization: Bearer …)"}, status_code=401)
    device = await db.device_for_token(conn, token.strip())
    if device is None:
        return JSONResponse({"error": "unknown device token"}, status_code=401)
    if device.revoked:
        return JSONResponse({"revoked": True, "error": "this device is revoked"}, status_code=403)
    if ws.path_params["device_id"] != device.id:
        return JSONResponse({"error": "a device reads its own events only"}, status_code=403)
    return device


def _after(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() and len(raw) < 19 else None


REVOKED_CLOSE = 1008  # policy violation: the device was revoked while connected (RFC 6455 7.4.1)


async def _deny(ws: WebSocket, response: Response) -> None:
    """Refused during the handshake: the HTTP answer itself where the server can send one, else a 403."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(response)
    else:
        await ws.close(code=1008)


async def _feed(ws: WebSocket, queue: asyncio.Queue[Relayed | None], replayed: set[int]) -> None:
    """Sends what the queue receives until the device closes the socket, or is revoked (closed with 1008)."""
    closed = asyncio.create_task(_until_closed(ws))
    try:
        while True:
            taken = asyncio.ensure_future(queue.get())
            await asyncio.wait({taken, closed}, return_when=asyncio.FIRST_COMPLETED)
            if closed.done():
                taken.cancel()
                return
            relayed = taken.result()
            if relayed is None:
                await ws.close(code=REVOKED_CLOSE, reason="this device is revoked")
                return
            if relayed.id not in replayed:
                await ws.send_json(relayed.event())
    finally:
        closed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closed


async def _until_closed(ws: WebSocket) -> None:
    while (await ws.receive())["type"] != "websocket.disconnect":
        pass
