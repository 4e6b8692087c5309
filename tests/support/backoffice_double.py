"""A contract double of the back office: ``app.replication.wire``'s three endpoints, faithfully, in memory.

Until the real service (``app.backoffice``) is the one the sender's tests run against, this small Starlette app
answers as wire.py says: records keyed by (device, stream, seq) and by ``record_id``; the same record again with
the same bytes is a DUPLICATE, with other bytes a CONFLICT (listed, the first one stands); a record it can never
take (``Record.problem()``) is REFUSED; the cursor per stream is the highest gap-free handled seq; 401 for an
unknown token, 403 ``{"revoked": true}`` for a revoked device, 413 over its batch limit, 400 for a batch that is
not one. Served through httpx's ASGI transport; ``FaultyTransport`` adds the network's and the server's faults
in front of it (a 503, a timeout before or after the batch was committed, an answer that is not JSON).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.replication.wire import (
    API,
    INGEST,
    MAX_BATCH,
    BatchReply,
    Outcome,
    Record,
    RecordResult,
    Stream,
    WireError,
    now_iso,
)

URL = "http://127.0.0.1:9"  # what the tests register with: the ASGI transport never opens it


@dataclass
class Device:
    device_id: str
    token: str
    name: str = ""
    kind: str = ""
    revoked: bool = False


@dataclass
class BackofficeDouble:
    max_batch: int = MAX_BATCH
    skew_s: float = 0.0  # added to the server's clock (a device this far behind measures -skew_s)
    devices: dict[str, Device] = field(default_factory=dict)  # by token
    codes: set[str] = field(default_factory=set)
    records: dict[tuple[str, Stream, int], Record] = field(default_factory=dict)
    record_ids: dict[str, tuple[str, Stream, int]] = field(default_factory=dict)
    refused: dict[tuple[str, Stream, int], str] = field(default_factory=dict)
    conflicts: list[Record] = field(default_factory=list)
    cursors: dict[tuple[str, Stream], int] = field(default_factory=dict)
    batch_sizes: list[int] = field(default_factory=list)  # records in each batch committed

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route(f"{API}/devices", self._register, methods=["POST"]),
                Route(f"{API}/devices/{{device_id}}/cursor", self._cursor, methods=["GET"]),
                Route(f"{API}{INGEST}", self._batches, methods=["POST"]),
            ]
        )

    # -- what a person does at the back office ------------------------------------------------------------
    def enrol(self) -> str:
        code = secrets.token_hex(4)
        self.codes.add(code)
        return code

    def revoke(self, device_id: str) -> None:
        for device in self.devices.values():
            if device.device_id == device_id:
                device.revoked = True

    def kept(self, device_id: str, stream: Stream) -> list[Record]:
        """The records held for a device's stream, by seq."""
        return [
            r for (d, s, _), r in sorted(self.records.items(), key=lambda kv: kv[0][2]) if (d, s) == (device_id, stream)
        ]

    # -- the endpoints -----------------------------------------------------------------------------------------
    async def _register(self, request: Request) -> JSONResponse:
        body = await request.json()
        code = body.get("enrolment_code") if isinstance(body, dict) else None
        if code not in self.codes:
            return JSONResponse({"error": "unknown or used enrolment code"}, status_code=403)
        self.codes.discard(code)
        device = Device(
            f"dev-{secrets.token_hex(4)}", secrets.token_urlsafe(32), body.get("name", ""), body.get("kind", "")
        )
        self.devices[device.token] = device
        return JSONResponse({"device_id": device.device_id, "token": device.token})

    def _device(self, request: Request) -> Device | JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        device = self.devices.get(token) if scheme == "Bearer" else None
        if device is None:
            return JSONResponse({"error": "unknown token"}, status_code=401)
        if device.revoked:
            return JSONResponse({"revoked": True}, status_code=403)
        return device

    async def _cursor(self, request: Request) -> JSONResponse:
        device = self._device(request)
        if isinstance(device, JSONResponse):
            return device
        if request.path_params["device_id"] != device.device_id:
            return JSONResponse({"error": "a device reads its own cursor only"}, status_code=403)
        cursors = {s.value: self.cursors.get((device.device_id, s), 0) for s in Stream}
        return JSONResponse({"device_id": device.device_id, "cursors": cursors})

    async def _batches(self, request: Request) -> JSONResponse:
        device = self._device(request)
        if isinstance(device, JSONResponse):
            return device
        try:
            body = await request.json()
            raw = body["records"]
            if not isinstance(raw, list) or body.get("device_id") != device.device_id:
                raise WireError("a batch is this device's list of records")
        except (ValueError, KeyError, TypeError, WireError) as exc:
            return JSONResponse({"error": f"not a batch: {exc}"}, status_code=400)
        if len(raw) > self.max_batch:
            return JSONResponse({"error": f"over {self.max_batch} records"}, status_code=413)
        try:
            records = [Record.from_json(r) for r in raw]
        except WireError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if any(r.device_id != device.device_id for r in records):
            return JSONResponse({"error": "a record of another device"}, status_code=400)
        results = [self._take(r) for r in records]
        self.batch_sizes.append(len(records))
        now = datetime.now(UTC)
        sent = datetime.fromisoformat(str(body.get("sent_at", now.isoformat())))
        cursors = {s: self.cursors.get((device.device_id, s), 0) for s in {r.stream for r in records}}
        reply = BatchReply(results, cursors, (sent - now).total_seconds() - self.skew_s, now_iso())
        return JSONResponse(reply.to_json())

    def _take(self, r: Record) -> RecordResult:
        key = (r.device_id, r.stream, r.seq)
        problem = r.problem()
        if problem and key not in self.records:
            self.refused[key] = problem
            outcome, reason = Outcome.REFUSED, problem
        elif key in self.records or r.record_id in self.record_ids:
            first = self.records[key] if key in self.records else self.records[self.record_ids[r.record_id]]
            same = key in self.records and first.record_id == r.record_id and first.sha256 == r.sha256
            outcome, reason = (Outcome.DUPLICATE, "") if same else (Outcome.CONFLICT, "other bytes under this key")
            if not same:
                self.conflicts.append(r)
        else:
            self.records[key] = r
            self.record_ids[r.record_id] = key
            outcome, reason = Outcome.ACCEPTED, ""
        self._advance(r.device_id, r.stream)
        return RecordResult(r.stream, r.seq, outcome, reason)

    def _advance(self, device_id: str, stream: Stream) -> None:
        n = self.cursors.get((device_id, stream), 0)
        while (device_id, stream, n + 1) in self.records or (device_id, stream, n + 1) in self.refused:
            n += 1
        self.cursors[(device_id, stream)] = n


class Fault(enum.Enum):
    UNAVAILABLE = "503"  # answered 503, nothing committed
    TIMEOUT_BEFORE = "timeout before"  # the request never arrived
    TIMEOUT_AFTER = "timeout after"  # the batch was committed, the answer lost
    NOT_JSON = "not json"  # the batch was committed, the answer garbled


class FaultyTransport(httpx.AsyncBaseTransport):
    """The double behind httpx's ASGI transport, with ``faults`` applied in turn to the next batch posts."""

    def __init__(self, double: BackofficeDouble) -> None:
        self.inner = httpx.ASGITransport(app=double.app)
        self.faults: list[Fault] = []
        self.posts = 0  # batch posts that reached the double

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.faults.pop(0) if self.faults and request.url.path.endswith(INGEST) else None
        if fault is Fault.TIMEOUT_BEFORE:
            raise httpx.ConnectTimeout("no answer", request=request)
        if fault is Fault.UNAVAILABLE:
            return httpx.Response(503, json={"error": "unavailable"}, request=request)
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith(INGEST):
            self.posts += 1
        if fault is Fault.TIMEOUT_AFTER:
            await response.aread()
            raise httpx.ReadTimeout("answer lost", request=request)
        if fault is Fault.NOT_JSON:
            await response.aread()
            return httpx.Response(200, content=b'{"results": [', request=request)
        return response
