"""The back office's wire contract, shared by the machine's side (``app.replication``) and the service
(``app.backoffice``): what one replicated record is, how its bytes are hashed, what a batch and its answer are.

A record is one change a machine made (a sale, a sale's status change, a refund, a field reading), appended to
that machine's outbox in the same SQLite transaction as the change. Each outbox is a *stream* of the device
("journal", "fieldbook"): its own gap-free ``seq`` from 1, so two databases of one laptop never share numbers.
The back office keys a record by ``(device_id, stream, seq)`` and by ``record_id`` (made by the machine, a
UUID): the same record sent again with the same bytes is a duplicate (acknowledged again), with other bytes a
conflict (reported, listed for a person, never overwritten) — ODK Central's rule.

``payload`` is JSON with money as strings ("12.50") and times as ISO 8601 with their offset; ``sha256`` is the
hex digest of ``canonical(payload)``: keys sorted, no spaces, UTF-8. Both sides compute it the same way here.

    POST /api/v1/devices                 register (enrolment code) → {"device_id", "token"}
    GET  /api/v1/devices/{id}/cursor     (Bearer token of that device) → {"device_id", "cursors": {stream: seq}}
    POST /api/v1/ingest                  (Bearer token) Batch → BatchReply; 401 unknown token, 403 revoked
                                         (``{"revoked": true}``), 413 over MAX_BATCH, 400 a batch that is not one
(the paths of DESIGN.md's command-line contract, ``tillqr backoffice serve``)
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import quote

from app.domain.jsontypes import JsonObject

SCHEMA_VERSION = 1  # of the payloads this code writes
ACCEPTED_SCHEMA_VERSIONS = tuple(v for v in (SCHEMA_VERSION - 1, SCHEMA_VERSION) if v >= 1)  # the last two
MAX_BATCH = 500  # records in one batch
API = "/api/v1"
DEVICES = "/devices"  # under API: registration
INGEST = "/ingest"  # under API: a batch of outbox records


def cursor_path(device_id: str) -> str:
    """Under API: the device's cursor per stream."""
    return f"/devices/{quote(device_id, safe='')}/cursor"


def events_path(device_id: str) -> str:
    """Under API: the device's websocket of relayed notifications (app.backoffice.relay)."""
    return f"/devices/{quote(device_id, safe='')}/events"


class RecordKind(StrEnum):
    SALE = "sale"  # a sale as it stands after a change (the journal's row): the latest by seq wins
    SALE_EVENT = "sale_event"  # one line of a sale's history (status change, note)
    REFUND = "refund"  # a refund asked for, and its end
    READING = "reading"  # a field agent's meter reading
    BILL_STATE = "bill_state"  # a bill's sync state after a push (charged, conflict, refused)


class Stream(StrEnum):
    JOURNAL = "journal"  # data/journal.sqlite3
    FIELDBOOK = "fieldbook"  # data/fieldbook.sqlite3


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # committed now
    DUPLICATE = "duplicate"  # committed before, same bytes: acknowledged again
    CONFLICT = "conflict"  # committed before with other bytes: reported, the first one stands
    REFUSED = "refused"  # never will be (an unknown kind, a schema version out of range): set aside by the device


class WireError(ValueError):
    """A record, batch or answer that is not what this contract says; the message says what."""


def canonical(payload: JsonObject) -> bytes:
    """The bytes that are hashed: sorted keys, no spaces, UTF-8 (no float: money is a string)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def digest(payload: JsonObject) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def new_record_id() -> str:
    return str(uuid.uuid4())


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Record:
    device_id: str
    stream: Stream
    seq: int
    record_id: str
    kind: RecordKind | str  # a str only as received: a kind this side does not know (refused by ``problem``)
    schema_version: int
    payload: JsonObject
    sha256: str
    device_time: str  # ISO 8601 with offset: when the machine made the change

    @classmethod
    def make(
        cls,
        device_id: str,
        stream: Stream,
        seq: int,
        kind: RecordKind,
        payload: JsonObject,
        *,
        record_id: str | None = None,
        device_time: str | None = None,
    ) -> Record:
        return cls(
            device_id,
            stream,
            seq,
            record_id or new_record_id(),
            kind,
            SCHEMA_VERSION,
            payload,
            digest(payload),
            device_time or now_iso(),
        )

    def to_json(self) -> JsonObject:
        return {
            "device_id": self.device_id,
            "stream": self.stream.value,
            "seq": self.seq,
            "record_id": self.record_id,
            "kind": str(self.kind),
            "schema_version": self.schema_version,
            "payload": self.payload,
            "sha256": self.sha256,
            "device_time": self.device_time,
        }

    @classmethod
    def from_json(cls, raw: object) -> Record:
        """A record as received; WireError when its shape is wrong. A kind or schema version this side does
        not know is *not* a shape error (``problem()`` says it, so the batch goes on)."""
        if not isinstance(raw, dict):
            raise WireError("a record is a JSON object")
        try:
            seq, version, payload = raw["seq"], raw["schema_version"], raw["payload"]
            device_id, stream, record_id = raw["device_id"], raw["stream"], raw["record_id"]
            kind, sha, at = raw["kind"], raw["sha256"], raw["device_time"]
        except KeyError as exc:
            raise WireError(f"a record lacks {exc.args[0]!r}") from None
        if not (isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1):
            raise WireError(f"seq must be a whole number from 1, not {seq!r}")
        if not (isinstance(version, int) and not isinstance(version, bool)):
            raise WireError(f"schema_version must be a whole number, not {version!r}")
        if not isinstance(payload, dict):
            raise WireError("payload must be a JSON object")
        for name, value in (("device_id", device_id), ("record_id", record_id), ("kind", kind), ("device_time", at)):
            if not (isinstance(value, str) and value and len(value) <= 200):
                raise WireError(f"{name} must be a non-empty string")
        known = _STREAMS.get(stream) if isinstance(stream, str) else None
        if known is None:
            raise WireError(f"stream must be one of {', '.join(Stream)}, not {stream!r}")
        if not (isinstance(sha, str) and _HEX64.fullmatch(sha)):
            raise WireError("sha256 must be 64 lowercase hex digits")
        return cls(device_id, known, seq, record_id, _KINDS.get(kind) or str(kind), version, payload, sha, at)

    def problem(self, body: bytes | None = None) -> str:
        """Why the back office must refuse this record for good ("" when it need not). ``body``: the payload's
        ``canonical`` bytes when the caller has them already (they are not made twice)."""
        if not isinstance(self.kind, RecordKind):
            return f"unknown kind {self.kind!r}"
        if self.schema_version not in ACCEPTED_SCHEMA_VERSIONS:
            taken = ", ".join(map(str, ACCEPTED_SCHEMA_VERSIONS))
            return f"schema version {self.schema_version} is not accepted (this back office takes {taken})"
        if hashlib.sha256(canonical(self.payload) if body is None else body).hexdigest() != self.sha256:
            return "sha256 does not match the payload"
        return ""


# A kind this side does not know stays the string it came as (refused per record, not per batch).
_KINDS: dict[object, RecordKind] = {k.value: k for k in RecordKind}
_STREAMS: dict[str, Stream] = {s.value: s for s in Stream}


@dataclass(frozen=True)
class Batch:
    device_id: str
    records: list[Record]
    sent_at: str = field(default_factory=now_iso)

    def to_json(self) -> JsonObject:
        return {"device_id": self.device_id, "sent_at": self.sent_at, "records": [r.to_json() for r in self.records]}


@dataclass(frozen=True)
class RecordResult:
    stream: Stream
    seq: int
    outcome: Outcome
    reason: str = ""

    def to_json(self) -> JsonObject:
        return {"stream": self.stream.value, "seq": self.seq, "outcome": self.outcome.value, "reason": self.reason}


@dataclass(frozen=True)
class BatchReply:
    """The back office's answer once the batch is committed: one result per record, the device's cursor per
    stream (every seq up to it is handled: accepted, duplicate, conflict or refused), and the clock skew
    measured on this batch (device's ``sent_at`` minus the server's time on arrival, in seconds)."""

    results: list[RecordResult]
    cursors: dict[Stream, int]
    skew_s: float
    server_time: str

    def to_json(self) -> JsonObject:
        return {
            "results": [r.to_json() for r in self.results],
            "cursors": {s.value: n for s, n in self.cursors.items()},
            "skew_s": round(self.skew_s, 3),
            "server_time": self.server_time,
        }

    @classmethod
    def from_json(cls, raw: object) -> BatchReply:
        if not isinstance(raw, dict):
            raise WireError("the answer is not a JSON object")
        try:
            results = [
                RecordResult(Stream(r["stream"]), int(r["seq"]), Outcome(r["outcome"]), str(r.get("reason", "")))
                for r in raw["results"]
            ]
            cursors = {Stream(s): int(n) for s, n in raw["cursors"].items()}
            return cls(results, cursors, float(raw["skew_s"]), str(raw["server_time"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise WireError(f"the answer is not a batch reply ({exc})") from None
