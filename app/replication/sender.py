"""The sender: this machine's replication outboxes pushed to the back office, exactly once.

One sender per machine and journal (``data/backoffice.lock``, an OS file lock: the GUI's background sender and
``tillqr backoffice push`` never push at once). A push:

1. asks the back office for this device's cursors (``GET /api/v1/devices/{id}/cursor``) and acknowledges, unsent, every
   waiting record at or below them (``Outbox.resume``: a journal put back from a backup sends nothing twice);
2. sends the waiting records of each stream in ``seq`` order, in batches of up to ``MAX_BATCH``
   (``POST /api/v1/ingest``), each batch tried again with ``app.retry.BACKOFFICE_PUSH``'s backoff and jitter
   while the back office is unavailable (no answer, a timeout, 5xx, 429) or answers what is not a batch reply:
   sending a batch again is always safe, the back office keys records by (device, stream, seq);
3. writes the answer only after a 200 ``BatchReply`` (``Outbox.settle``): accepted and duplicate records
   acknowledged, refused and conflicting ones set aside with their reason, and the queue goes on.

A 413 halves the batch (down to one record, which is then set aside as too large). A 400 (a batch the back
office cannot read: this side's bug, since a record it cannot take is refused one by one in a 200) stops the
push with the reason it gave, nothing set aside. 401 (an unknown token) stops the push: register again. 403 ``{"revoked": true}``: the back office revoked
this device; it forgets its customers' personal data (``app.storage.replica.FORGET_*``: sales' references,
field customers' names and addresses, wiped from the files too) and sends nothing more.

Everything waits through an injected ``Timer`` (``app.retry``): tests never wait on the wall clock. The sender
runs beside the counter as a background task (``run``); SQLite work is on each database's own thread, so the
counter never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import httpx

from app.config.filelock import LockHeld, hold
from app.config.secrets import SecretsUnavailable
from app.domain.jsontypes import JsonObject
from app.i18n import _
from app.replication.identity import DeviceIdentity, save_identity
from app.replication.outbox import Outbox
from app.replication.wire import (
    API,
    INGEST,
    MAX_BATCH,
    Batch,
    BatchReply,
    Outcome,
    Stream,
    WireError,
    cursor_path,
    now_iso,
)
from app.retry import (
    BACKOFFICE_AWAY,
    BACKOFFICE_PUSH,
    SYSTEM_TIMER,
    Failure,
    Idempotency,
    RetryPolicy,
    Timer,
    failure_of,
    retrying,
)
from app.urlcheck import checked_url

log = logging.getLogger("tillqr.replication")
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
IDLE_S = 30.0  # the background sender looks for new records at least this often


class PushError(Exception):
    """A push that could not go on; ``failure`` says whether trying again may help (app.retry)."""

    failure = Failure.REFUSED
    retry_after: float | None = None


class BackofficeUnavailable(PushError):
    failure = Failure.UNAVAILABLE


class BackofficeUnreadable(PushError):
    failure = Failure.UNREADABLE


class DeviceRevoked(PushError):
    """The back office revoked this device: its customers' personal data is forgotten, nothing more is sent."""


class SenderBusy(Exception):
    """Another process is pushing this journal's records now."""


class _TooLarge(PushError):
    """413: the batch is sent again in halves (inside ``_push_stream``)."""


@dataclass
class PushReport:
    batches: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    set_aside: int = 0  # refused or in conflict this time
    resumed: int = 0  # acknowledged from the back office's cursor, unsent
    resent: int = 0  # acknowledged before, above the back office's cursor: it lost them, sent again
    waiting: int = 0  # still waiting after the push
    skew_s: float | None = None
    error: str = ""  # why the push stopped early ("": it did not)
    unreachable: bool = False
    revoked: bool = False
    reasons: list[str] = field(default_factory=list)  # "<stream> <seq>: <reason>" of the records set aside


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _retry_after(reply: httpx.Response) -> float | None:
    try:
        return float(reply.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _body_reason(reply: httpx.Response) -> str:
    try:
        raw = reply.json()
    except ValueError:
        return reply.text[:200]
    if isinstance(raw, dict):
        for key in ("reason", "error", "detail", "message"):
            if isinstance(raw.get(key), str):
                return str(raw[key])[:200]
    return reply.text[:200]


def _check(reply: httpx.Response) -> None:
    """Raise the PushError an answer other than 200 is."""
    status = reply.status_code
    if status == 200:
        return
    if status == 429 or status >= 500:
        exc: PushError = BackofficeUnavailable(_("the back office answered HTTP {status}").format(status=status))
        exc.retry_after = _retry_after(reply)
        raise exc
    if status == 401:
        raise PushError(_("the back office does not know this device's token: register it again"))
    if status == 403:
        try:
            revoked = reply.json().get("revoked") is True
        except (ValueError, AttributeError):
            revoked = False
        if revoked:
            raise DeviceRevoked(_("the back office revoked this device"))
        raise PushError(_("the back office refused this device (HTTP 403)"))
    if status == 413:
        raise _TooLarge(_body_reason(reply))
    if status == 400:
        raise PushError(_("the back office cannot read this batch: {reason}").format(reason=_body_reason(reply)))
    raise PushError(_("the back office answered HTTP {status}").format(status=status))


class Sender:
    """Pushes ``outboxes`` (the journal's, the field book's) for the device ``identity`` kept at ``identity_path``."""

    def __init__(
        self,
        identity: DeviceIdentity,
        identity_path: Path,
        outboxes: Sequence[Outbox],
        *,
        token: str,
        client: httpx.AsyncClient | None = None,
        timer: Timer = SYSTEM_TIMER,
        rng: random.Random | None = None,
        policy: RetryPolicy = BACKOFFICE_PUSH,
        max_batch: int = MAX_BATCH,
        away: RetryPolicy = BACKOFFICE_AWAY,
    ) -> None:
        self.identity = identity
        self.identity_path = identity_path
        self.outboxes = list(outboxes)
        self.base = checked_url(identity.url, _("the back office's URL")).rstrip("/")
        self._headers = _bearer(token)
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)
        self.timer = timer
        self.rng = rng or random.Random()
        self.policy = policy
        self.max_batch = max_batch
        self.away = away
        self.wake = asyncio.Event()  # set by whoever wrote records: the background sender pushes at once
        self.pushed: Callable[[PushReport], None] | None = None  # told after each push of ``run``

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    # -- one push ----------------------------------------------------------------------------------------
    async def push(self) -> PushReport:
        """Everything waiting now, sent; the report says what happened (never raises for the back office's
        sake: an unreachable back office, a refusal or a revocation is in the report)."""
        report = PushReport()
        try:
            if self.identity.revoked_at:
                raise DeviceRevoked(_("the back office revoked this device"))
            cursors = await self._cursors()
            for outbox in self.outboxes:
                report.resent += await outbox.resend_above(cursors.get(outbox.stream, 0))
                report.resumed += await outbox.resume(cursors.get(outbox.stream, 0))
            for outbox in self.outboxes:
                await self._push_stream(outbox, report)
        except DeviceRevoked as exc:
            report.revoked, report.error = True, str(exc)
            await self._forget()
        except PushError as exc:
            report.error = str(exc)
            report.unreachable = exc.failure is not Failure.REFUSED
        report.waiting = sum([(await o.counts()).waiting for o in self.outboxes])
        self._remember(report)
        return report

    async def _call(self, method: str, path: str, body: JsonObject | None = None) -> httpx.Response:
        try:
            reply = await self.client.request(method, f"{self.base}{API}{path}", json=body, headers=self._headers)
        except httpx.TimeoutException as exc:
            log.info("back office: no answer in time (%r)", exc)  # the exception's kind for support, not for people
            raise BackofficeUnavailable(_("the back office did not answer in time")) from None
        except httpx.HTTPError as exc:
            log.info("back office: cannot be reached (%r)", exc)
            raise BackofficeUnavailable(_("the back office cannot be reached")) from None
        _check(reply)
        return reply

    async def _retried(self, method: str, path: str, body: JsonObject | None = None) -> object:
        async def once() -> object:
            reply = await self._call(method, path, body)
            try:
                return reply.json()
            except ValueError:
                raise BackofficeUnreadable(_("the back office's answer is not JSON")) from None

        return await retrying(
            self.policy,
            once,
            kind=Idempotency.KEYED,
            timer=self.timer,
            rng=self.rng,
            retried=lambda exc: failure_of(exc) in (Failure.UNAVAILABLE, Failure.UNREADABLE),
            what=path,
        )

    async def _cursors(self) -> dict[Stream, int]:
        raw = await self._retried("GET", cursor_path(self.identity.device_id))
        try:
            assert isinstance(raw, dict)
            return {Stream(s): int(n) for s, n in raw["cursors"].items() if s in Stream.__members__.values()}
        except (AssertionError, KeyError, AttributeError, TypeError, ValueError):
            raise BackofficeUnreadable(_("the back office's cursor answer is not one")) from None

    async def _push_stream(self, outbox: Outbox, report: PushReport) -> None:
        size = self.max_batch
        while records := await outbox.next_batch(self.identity.device_id, size):
            batch = Batch(self.identity.device_id, records)
            try:
                raw = await self._retried("POST", INGEST, batch.to_json())
                reply = BatchReply.from_json(raw)
            except WireError as exc:
                raise BackofficeUnreadable(str(exc)) from None
            except _TooLarge:
                if len(records) > 1:
                    size = max(1, len(records) // 2)
                    continue
                why = "too large for the back office"
                await outbox.set_aside(records[0].seq, f"refused: {why}")
                report.set_aside += 1
                report.reasons.append(f"{outbox.stream.value} {records[0].seq}: {why}")
                size = self.max_batch
                continue
            await self._settled(outbox, reply, len(records), report)
            size = self.max_batch

    async def _settled(self, outbox: Outbox, reply: BatchReply, sent: int, report: PushReport) -> None:
        await outbox.settle(reply.results, reply.cursors.get(outbox.stream))
        report.batches += 1
        report.sent += sent
        report.skew_s = reply.skew_s
        for r in reply.results:
            if r.outcome is Outcome.ACCEPTED:
                report.accepted += 1
            elif r.outcome is Outcome.DUPLICATE:
                report.duplicates += 1
            else:
                report.set_aside += 1
                report.reasons.append(f"{r.stream.value} {r.seq}: {r.outcome.value} {r.reason}".rstrip())
        self.identity = replace(self.identity, contact=replace(self.identity.contact, pushed_at=now_iso()))

    async def _forget(self) -> None:
        for outbox in self.outboxes:
            await outbox.forget_personal_data()
        if not self.identity.revoked_at:
            self.identity = replace(self.identity, revoked_at=now_iso())
        try:
            self.identity.forget_token()  # refused from now on anyway: no credential is kept for nothing
        except SecretsUnavailable as exc:
            log.warning("the revoked device's token stays in the keyring: %s", exc)
        log.warning(
            "the back office revoked device %s: its customers' personal data was deleted", self.identity.device_id
        )

    def _remember(self, report: PushReport) -> None:
        contact = replace(
            self.identity.contact,
            at=now_iso(),
            answered=not report.unreachable,
            error=report.error,
            skew_s=report.skew_s if report.skew_s is not None else self.identity.contact.skew_s,
        )
        self.identity = replace(self.identity, contact=contact)
        try:
            save_identity(self.identity_path, self.identity)
        except OSError as exc:
            log.warning("the back office's last contact could not be kept in %s: %s", self.identity_path, exc)

    # -- in the background ---------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, lock_path: Path) -> None:
        """Push until ``stop`` is set: at once when ``wake`` is set, at least every ``IDLE_S``; after a push that
        found the back office unreachable, waits as ``BACKOFFICE_AWAY`` says. Ends when the device is revoked,
        or when another process holds ``lock_path`` (SenderBusy)."""
        lock = hold_sender_lock(lock_path)
        try:
            away = 0
            while not stop.is_set():
                self.wake.clear()
                report = await self.push()
                self.wake.clear()  # the push's own writes (resume, settle) woke it: records written meanwhile
                if self.pushed is not None:  # are in ``report.waiting``
                    self.pushed(report)
                if report.revoked:
                    return
                away = away + 1 if report.unreachable or report.error else 0
                if not away and report.waiting:
                    continue  # written while this push was under way: at once
                pause = self.away.wait(away, self.rng) if away else IDLE_S
                await self._pause(pause, stop)
        finally:
            lock.close()

    async def _pause(self, seconds: float, stop: asyncio.Event) -> None:
        """Until ``seconds`` have passed on the timer, or ``wake`` or ``stop`` is set."""
        sleeper = asyncio.ensure_future(self.timer.sleep(seconds))
        waiters = [sleeper, asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()


def hold_sender_lock(path: Path) -> TextIO:
    """The sender's lock taken, as the open file to close when done; SenderBusy when another process has it."""
    try:
        return hold(path)
    except LockHeld as held:
        raise SenderBusy(
            _("another TillQR is sending this journal to the back office now ({holder})").format(
                holder=held.holder or _("pid unknown")
            )
        ) from None


def sender_lock_file(data_dir: Path, demo: bool) -> Path:
    return data_dir / ("backoffice-demo.lock" if demo else "backoffice.lock")
