"""The sandbox's shared machinery: in-memory state, payments, idempotency, and what a provider plugs in.

Every simulated provider (J.P. Morgan, Razorpay, Depay, Pix) keeps its requests and
payment links here, in provider-neutral form (the records and the clock are in ``model.py``):

- ``SimRequest``: one payment request, with a provider-neutral ``Phase``
  (open, processing, settled, expired, cancelled, failed). Each provider module
  declares how its own API words the phases (``SandboxProvider.status_words``),
  and ``/_sandbox/state`` reports the provider's word.
- ``SimLink``: one static payment link, holding at most one request.
- what a customer scans: each request and link registers its payload and, for
  Pix, its location URL (tag 26/25). ``SandboxState.pay`` resolves a scanned
  payload the way a banking app does: by the location first (so the printed
  sticker of a payment link reaches whatever request is linked *now*), then by
  the exact payload text (for schemes without a location).
- expiry is lazy: any read (``request()``, ``requests()``, ``pay()``) moves an
  open request past its ``expires_at`` to EXPIRED, by the injected clock.
- a ``fixed_amount`` request (its QR carries the amount, e.g. Depay's) is paid in
  full in one payment or not at all: ``pay()`` refuses any other amount (409).
- settlement: reaching the full amount (the amount owed *now* where it depends
  on the day: ``SimRequest.owed``, e.g. a Pix due-date charge) settles at once; with
  ``settle_delay_s > 0`` the request is PROCESSING until that much clock time
  has passed (again applied on read).
- revisions: ``SimRequest.revision`` starts at 0 and goes up by one on every change of
  phase (``set_phase``), amount (``set_amount``) or anything else its provider counts as
  a change (``touch``), whoever made it; a provider answers it as its version counter.
- idempotency: ``remember``/``replay`` store a successful (2xx) answer per
  (provider, method, path, key) with a fingerprint of the body; the same key with
  another body is refused (422). Failed answers are not stored, so a corrected
  retry with the same key is possible.

- kept between runs: ``contents()`` and ``restore()`` are what ``persist.py`` saves and
  loads; a provider whose requests owe by a rule rebuilds ``owed`` through its
  ``SandboxProvider.revive`` hook (``revivers``).

Nothing here awaits, so every handler's check-then-change runs atomically on
the event loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.routing import BaseRoute

from app.domain.money import Money
from app.qr.schemes import pix_location

from .model import (
    Clock,
    Phase,
    SandboxError,
    SandboxSettings,
    SimLink,
    SimRequest,
    StoredAnswer,
    parse_amount,
    system_clock,
)


@dataclass(frozen=True)
class SandboxProvider:
    """What a provider module plugs into the sandbox."""

    name: str  # "jpmorgan"
    prefix: str  # "/jpmorgan"
    routes: list[BaseRoute]
    status_words: Mapping[Phase, str]  # Phase -> the provider's own status word
    error_body: Callable[[int, str, str], dict]  # (http status, code, message) -> JSON body
    setup: Callable[[SandboxState], None] | None = None  # called once with each new state (listeners, rules)
    # called for each of its requests read back from a saved state (persist.py): rebuilds what JSON cannot
    # hold, e.g. ``SimRequest.owed`` from the due terms the request keeps in ``extra``
    revive: Callable[[SimRequest], None] | None = None


@dataclass
class Contents:
    """A state's records: what ``persist.py`` saves and loads."""

    requests: list[SimRequest]
    links: list[SimLink]
    locations: dict[str, tuple[str, str, str]]  # location or payload -> (kind, provider, id)
    answers: dict[tuple[str, str, str, str], StoredAnswer]  # (provider, method, path, key) -> first answer


CALLS_KEPT = 10_000  # a long-running demo sandbox must not grow without bound


class SandboxState:
    """Everything the sandbox knows, in memory."""

    def __init__(self, clock: Clock | None = None, settings: SandboxSettings | None = None):
        self.clock: Clock = clock or system_clock
        self.settings = settings or SandboxSettings()
        self.status_words: dict[str, Mapping[Phase, str]] = {}
        self.listeners: list[Callable[[SimRequest], None]] = []
        self.pay_rules: dict[str, Callable[[SimRequest], Phase | None]] = {}  # stage rules, see pay()
        self.revivers: dict[str, Callable[[SimRequest], None]] = {}  # SandboxProvider.revive, by provider
        self.notify_transport: Any = None  # httpx transport for outbound notifications (None: the network)
        self.offset = timedelta(0)  # time travel (``advance``) on top of the clock
        self.reset()

    def reset(self) -> None:
        self._requests: dict[tuple[str, str], SimRequest] = {}
        self._links: dict[tuple[str, str], SimLink] = {}
        self._locations: dict[str, tuple[str, str, str]] = {}  # location or payload -> (kind, provider, id)
        self._answers: dict[tuple[str, str, str, str], StoredAnswer] = {}
        self.calls: deque[dict[str, Any]] = deque(maxlen=CALLS_KEPT)  # the latest calls, for tests and demos
        self.call_count = 0
        self.notifications: deque[dict[str, Any]] = deque(maxlen=CALLS_KEPT)  # outbound notifications sent
        self.dormant: dict[str, list[Any]] = {}  # saved records of providers not mounted here (persist.py)

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the sandbox clock must return aware datetimes")
        return now + self.offset

    def advance(self, seconds: float) -> datetime:
        """Move the sandbox's time forward (demos, end-to-end tests of expiry) and apply it to every request."""
        if not seconds >= 0:  # also refuses NaN
            raise ValueError("the sandbox's time only moves forward")
        self.offset += timedelta(seconds=seconds)
        self.requests()
        return self.now()

    # -- requests ----------------------------------------------------------
    def add_request(self, req: SimRequest) -> SimRequest:
        key = (req.provider, req.id)
        if key in self._requests:
            raise SandboxError(409, "DUPLICATE_ID", f"a payment request with id {req.id} already exists")
        self._requests[key] = req
        self._register(req.payload, "request", req.provider, req.id)
        return req

    def request(self, provider: str, request_id: str) -> SimRequest | None:
        req = self._requests.get((provider, request_id))
        if req is not None:
            self.refresh(req)
        return req

    def requests(self) -> list[SimRequest]:
        for req in self._requests.values():
            self.refresh(req)
        return list(self._requests.values())

    def refresh(self, req: SimRequest) -> None:
        """Apply what the clock says: expiry of open requests, end of processing."""
        now = self.now()
        if req.phase is Phase.PROCESSING and req.settle_at is not None and now >= req.settle_at:
            self.set_phase(req, Phase.SETTLED)
        elif req.phase is Phase.OPEN and req.expires_at is not None and now >= req.expires_at:
            self.set_phase(req, Phase.EXPIRED)

    def set_phase(self, req: SimRequest, phase: Phase) -> None:
        if req.phase is phase:
            return
        req.phase = phase
        self.touch(req)

    def set_amount(self, req: SimRequest, amount: Money) -> None:
        """The request's amount changed at the provider (an update, a test hook); SandboxError 400 when the
        currency differs."""
        if amount.currency != req.amount.currency:
            raise SandboxError(400, "INVALID_AMOUNT", f"the request is in {req.amount.currency}, not {amount.currency}")
        if amount != req.amount:
            req.amount = amount
            self.touch(req)

    def touch(self, req: SimRequest) -> None:
        """``req`` changed (phase, amount, terms): a new revision, the time noted, the listeners told."""
        req.revision += 1
        req.updated_at = self.now()
        self.changed(req)

    def repoint(self, req: SimRequest, payload: str) -> None:
        """``req`` is now scanned as ``payload`` (its provider redrew its QR, e.g. for a new amount)."""
        req.payload = payload
        self._register(payload, "request", req.provider, req.id)

    def changed(self, req: SimRequest) -> None:
        """Tell the listeners (status websocket, notifications) that ``req`` changed."""
        for listener in list(self.listeners):
            listener(req)

    # -- links -------------------------------------------------------------
    def add_link(self, link: SimLink) -> SimLink:
        key = (link.provider, link.id)
        if key in self._links:
            raise SandboxError(409, "DUPLICATE_ID", f"a payment link with id {link.id} already exists")
        self._links[key] = link
        self._register(link.payload, "link", link.provider, link.id)
        return link

    def link(self, provider: str, link_id: str) -> SimLink | None:
        return self._links.get((provider, link_id))

    def links(self) -> list[SimLink]:
        return list(self._links.values())

    def attach(self, link: SimLink, req: SimRequest) -> None:
        """Link ``req`` to ``link``; the rules (busy link, open request) are the caller's."""
        if link.linked_request and link.linked_request != req.id:
            previous = self._requests.get((link.provider, link.linked_request))
            if previous is not None and previous.linked_to == link.id:
                previous.linked_to = None
        link.linked_request = req.id
        req.linked_to = link.id

    def detach(self, link: SimLink) -> None:
        if link.linked_request:
            req = self._requests.get((link.provider, link.linked_request))
            if req is not None and req.linked_to == link.id:
                req.linked_to = None
        link.linked_request = None

    # -- what customers scan -----------------------------------------------------
    def _register(self, payload: str, kind: str, provider: str, ident: str) -> None:
        target = (kind, provider, ident)
        self._locations["payload:" + payload] = target
        location = pix_location(payload)
        if location:
            self._locations["pix:" + location] = target

    def resolve(self, payload: str) -> SimRequest:
        """The request a scanned payload leads to now, whether payable or not; SandboxError 404 if none."""
        if not isinstance(payload, str) or not payload.strip():
            raise SandboxError(400, "INVALID_PAYLOAD", "payload must be the scanned text")
        text = payload.strip()
        location = pix_location(text)
        target = self._locations.get("pix:" + location) if location else None
        if target is None:
            target = self._locations.get("payload:" + text)
        if target is None:
            raise SandboxError(404, "NOT_FOUND", "nothing payable behind this payload (unknown QR code)")
        kind, provider, ident = target
        if kind == "link":
            link = self._links[(provider, ident)]
            if not link.linked_request:
                raise SandboxError(404, "NOTHING_LINKED", f"payment link {ident} has no payment request linked")
            ident = link.linked_request
        req = self.request(provider, ident)
        if req is None:
            raise SandboxError(404, "NOT_FOUND", f"payment request {ident} does not exist")
        return req

    def pay(self, payload: str, amount: Any = None) -> SimRequest:
        """Pay (fully, or ``amount`` of) what ``payload`` leads to, as a customer's banking app would."""
        req = self.resolve(payload)
        if req.phase is not Phase.OPEN:
            word = self.status_words.get(req.provider, {}).get(req.phase, req.phase.value)
            raise SandboxError(409, "NOT_PAYABLE", f"payment request {req.id} is {word} and can no longer be paid")
        owed = req.owed(self.now()) if req.owed else req.amount
        due = owed - req.amount_paid
        paying = due if amount is None else parse_amount(amount, req.amount.currency)
        if req.fixed_amount and paying != due:
            raise SandboxError(
                409,
                "FIXED_AMOUNT",
                f"payment request {req.id} is a fixed-amount QR: it can only be "
                f"paid {due} {due.currency} in one payment, not {paying}",
            )
        ended = self.pay_rules[req.provider](req) if req.provider in self.pay_rules else None
        if ended is not None:  # a provider's stage rule ended the request at this attempt: nothing is taken
            self.set_phase(req, ended)
            return req
        req.paid = req.amount_paid + paying
        req.updated_at = self.now()
        if req.amount_paid.minor < owed.minor:
            self.changed(req)  # a partial payment: same status, more received
        elif self.settings.settle_delay_s > 0:
            req.settle_at = self.now() + timedelta(seconds=self.settings.settle_delay_s)
            self.set_phase(req, Phase.PROCESSING)
        else:
            self.set_phase(req, Phase.SETTLED)
        return req

    # -- idempotency -------------------------------------------------------------
    def replay(self, scope: tuple[str, str, str], key: str, body_fingerprint: str) -> StoredAnswer | None:
        stored = self._answers.get((*scope, key))
        if stored is None:
            return None
        if stored.fingerprint != body_fingerprint:
            raise SandboxError(
                422, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used with a different request body"
            )
        return stored

    def remember(self, scope: tuple[str, str, str], key: str, body_fingerprint: str, status: int, body: Any) -> None:
        self._answers[(*scope, key)] = StoredAnswer(body_fingerprint, status, body)

    # -- kept between runs (persist.py) -------------------------------------------
    def contents(self) -> Contents:
        """Everything a saved state holds, as it is (no clock applied, no listener called)."""
        return Contents(
            list(self._requests.values()), list(self._links.values()), dict(self._locations), dict(self._answers)
        )

    def restore(self, contents: Contents) -> None:
        """Put back a saved state's records (already revived); ValueError if this state holds any."""
        if self._requests or self._links or self._answers:
            raise ValueError("the sandbox already holds requests: a saved state loads into an empty one only")
        self._requests = {(r.provider, r.id): r for r in contents.requests}
        self._links = {(link.provider, link.id): link for link in contents.links}
        self._locations = dict(contents.locations)
        self._answers = dict(contents.answers)

    # -- truth for tests -----------------------------------------------------------
    def word(self, req: SimRequest) -> str:
        return self.status_words.get(req.provider, {}).get(req.phase, req.phase.value.upper())

    def snapshot(self, *, revisions: bool = False) -> dict[str, Any]:
        """``/_sandbox/state``: the documented shape; with ``revisions`` each request's revision too (how many
        times its amount, due date or status changed: the exactly-once checks of the field sync read it)."""
        return {
            "requests": [
                {
                    "id": r.id,
                    "provider": r.provider,
                    "status": self.word(r),
                    "amount": str(r.amount),
                    "amount_paid": str(r.amount_paid),
                    "linked_to": r.linked_to,
                    "external_reference": r.reference,
                }
                | ({"revision": r.revision} if revisions else {})
                for r in self.requests()
            ],
            "links": [
                {"id": link.id, "provider": link.provider, "linked_request": link.linked_request}
                for link in self.links()
            ],
        }
