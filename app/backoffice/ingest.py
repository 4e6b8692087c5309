"""The back office's ingest API (``app.replication.wire``'s three endpoints) as a Starlette app.

    POST /api/v1/devices   {"enrolment_code", "name"?} → 201 {"device_id", "token"} (the token is shown once);
                           403 {"error"} for a code unknown, used or expired
    GET  /api/v1/devices/{id}/cursor  that device's Bearer token → {"device_id", "cursors": {stream: seq}};
                           403 for another device's cursor
    POST /api/v1/ingest    Bearer token, a Batch → 200 BatchReply; 400 a batch that is not one, 401 an unknown
                           token, 403 {"revoked": true}, 413 over MAX_BATCH records (or MAX_BODY bytes)
    GET  /api/v1/health    {"ok": true} once the database answers

Stateless: everything that matters is in PostgreSQL, so several instances can serve one database. Answers are
protocol text (English), never a person's words.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import psycopg
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.replication.wire import API, INGEST, MAX_BATCH, Batch, Record, WireError

from . import db
from .batches import BatchRefused, read_cursors, store_batch

log = logging.getLogger("tillqr.backoffice")

MAX_BODY = 16 * 1024 * 1024  # bytes of one request: MAX_BATCH records of up to ~32 KB each


class _TooLarge(Exception):
    pass


def create_app(pool: AsyncConnectionPool) -> Starlette:
    """The API on ``pool`` (opened and closed by the caller: ``serve.serve``, or a test)."""

    async def register(request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        code, name = body.get("enrolment_code"), body.get("name", "")
        if not isinstance(code, str) or not code or not isinstance(name, str):
            return _error(400, 'expected {"enrolment_code": str, "name"?: str}')
        async with pool.connection() as conn:
            try:
                device_id, token = await db.register(conn, code, name=name[:200])
            except db.EnrolmentError as exc:
                return _error(403, str(exc))
        log.info("device %s registered", device_id)
        return JSONResponse({"device_id": device_id, "token": token}, status_code=201)

    async def cursor(request: Request) -> Response:
        async with pool.connection() as conn:
            device = await _device(conn, request)
            if isinstance(device, Response):
                return device
            if request.path_params["device_id"] != device.id:
                return _error(403, "a device reads its own cursor only")
            async with conn.cursor() as cur:
                cursors = await read_cursors(cur, device.id)
        return JSONResponse({"device_id": device.id, "cursors": {s.value: n for s, n in cursors.items()}})

    async def batches(request: Request) -> Response:
        received = datetime.now(UTC)
        body = await _json_body(request)  # read before taking a connection: a slow sender holds none
        batch = _batch(body) if not isinstance(body, Response) else body
        if isinstance(batch, Response):
            return batch
        async with pool.connection() as conn:
            device = await _device(conn, request)
            if isinstance(device, Response):
                return device
            try:
                reply = await store_batch(conn, device, batch, received)
            except BatchRefused as exc:
                return _error(400, str(exc))
        return JSONResponse(reply.to_json())

    async def health(_request: Request) -> Response:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        return JSONResponse({"ok": True})

    routes = [
        Route(f"{API}/devices", _guarded(register), methods=["POST"]),
        Route(f"{API}/devices/{{device_id}}/cursor", _guarded(cursor), methods=["GET"]),
        Route(f"{API}{INGEST}", _guarded(batches), methods=["POST"]),
        Route(f"{API}/health", health, methods=["GET"]),
    ]
    return Starlette(routes=routes)


def _guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A body over MAX_BODY is 413, whichever handler was reading it."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except _TooLarge:
            return _error(413, f"the request is over {MAX_BODY} bytes")

    return guarded


async def _device(conn: psycopg.AsyncConnection, request: Request) -> db.Device | Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "a device token is needed (Authorization: Bearer …)")
    device = await db.device_for_token(conn, token.strip())
    if device is None:
        return _error(401, "unknown device token")
    if device.revoked:
        return JSONResponse({"revoked": True, "error": "this device is revoked"}, status_code=403)
    return device


async def _json_body(request: Request) -> dict[str, object] | Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        return _error(400, f"the body is not JSON ({str(exc)[:100]})")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    return body


def _batch(body: dict[str, object]) -> Batch | Response:
    records, device_id, sent_at = body.get("records"), body.get("device_id"), body.get("sent_at")
    if not isinstance(records, list) or not isinstance(device_id, str) or not isinstance(sent_at, str):
        return _error(400, 'a batch is {"device_id": str, "sent_at": str, "records": [...]}')
    if len(records) > MAX_BATCH:
        return _error(413, f"a batch holds at most {MAX_BATCH} records, not {len(records)}")
    try:
        return Batch(device_id, [Record.from_json(raw) for raw in records], sent_at)
    except WireError as exc:
        return _error(400, str(exc))


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
