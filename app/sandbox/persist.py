"""The embedded sandbox's state kept between commands: one JSON file, written atomically.

Demo mode runs the sandbox inside each command, and "what one command created (a route's payment links)
is there for the next" (DESIGN.md): ``app.runtime`` loads ``<data>/sandbox-demo.json`` when it opens the
embedded sandbox, saves it in the background after every call that may change something
(``StateKeeper.watch``: saves coalesce, one write covering every change made while the last was written; the
caller has its answer at once, as from a real provider, so a demo sale pays no fsync for it) and when it closes
(``save()``, which waits for the background one). A command killed within a few milliseconds of a call may
lose that call's state: the demo's price for not slowing every call. ``save``/``load`` are the plain functions under that.

The file: ``{"version": 1, "saved_at", "offset", "call_count", "requests": [...], "links": [...],
"locations": [...], "answers": [...]}``: the requests and links field by field (``dataclasses.fields``, so a
plain field added to ``SimRequest`` or ``SimLink`` is kept with no change here), the scanned-payload index,
the stored idempotency answers, the time travelled (``POST /_sandbox/clock``) and the count of provider
calls (not the calls log). Values are written in a tagged JSON form that reads back to the same Python value
(``persist_json.py``: Money as ``{"$money": [minor, currency]}``, datetimes ISO, enums by value, ...). What
cannot be written, a function (``SimRequest.owed``: what a due-date request owes on a day), is rebuilt when read
back by the provider's ``SandboxProvider.revive`` hook, called for each of its requests.

Demo mode mounts one provider's simulator per command: the records of a provider the loading state does not
speak are kept as read (``SandboxState.dormant``) and written back by its next save, so a Pix demo's QR codes
survive a J.P. Morgan command in between.

A file that cannot be read back (not JSON, another version, a value that does not fit) is set aside as
``<name>.damaged-<UTC time>`` with a warning in the log, and the sandbox starts empty: never a crash.

**Two processes at once** (the GUI open in demo mode and a command beside it): each holds the whole state in
memory and writes all of it, so **the last writer wins**: the command reads what the GUI saved last, and the
GUI's next save drops what the command added since (a warning is logged when a save finds that the file was
changed by another process since this one last read or wrote it). An OS file lock (``<name>.lock``, fcntl,
as ``app.runtime.TillLock``; none on Windows) is held around each read and each write, so a save never
interleaves with another and a load never reads a file being replaced. Two tills (GUI, ``charge``,
``recover``) never run together on one demo journal (the till lock); the field commands take no till lock,
so it is they, run beside a demo GUI, that meet this limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias, cast

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from app.domain.jsontypes import Json, JsonObject

from .core import Contents, SandboxState
from .model import SimLink, SimRequest, StoredAnswer
from .persist_json import Damaged, decode, encode, from_record, record

log = logging.getLogger("tillqr.sandbox.persist")

VERSION = 1
UNCHANGING = frozenset({"GET", "HEAD", "OPTIONS"})  # calls after which nothing is saved
Signature: TypeAlias = tuple[int, int, int]  # (inode, mtime ns, size) of the file; (0, 0, -1) when absent
ABSENT: Signature = (0, 0, -1)


# -- the state <-> the file's text -------------------------------------------------------------
def dumps(state: SandboxState) -> bytes:
    """The whole state as the file's bytes (call it on the sandbox's loop: nothing changes meanwhile)."""
    c = state.contents()
    dormant = state.dormant
    doc: JsonObject = {
        "version": VERSION,
        "saved_at": datetime.now(UTC).isoformat(),
        "offset": encode(state.offset),
        "call_count": state.call_count,
        "requests": [record(r) for r in c.requests] + dormant.get("requests", []),
        "links": [record(link) for link in c.links] + dormant.get("links", []),
        "locations": [[key, *target] for key, target in c.locations.items()] + dormant.get("locations", []),
        "answers": [
            {
                "scope": list(key[:3]),
                "key": key[3],
                "fingerprint": a.fingerprint,
                "status": a.status,
                "body": encode(a.body),
            }
            for key, a in c.answers.items()
        ]
        + dormant.get("answers", []),
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _items(doc: JsonObject, key: str) -> list[Json]:
    items = doc.get(key, [])
    if not isinstance(items, list):
        raise Damaged(f"{key!r} must be a list")
    return items


def _provider_of(item: Json, where: str) -> str:
    provider = item.get("provider") if isinstance(item, dict) else None
    if not isinstance(provider, str):
        raise Damaged(f"an entry of {where!r} names no provider")
    return provider


def _parse(state: SandboxState, raw: bytes) -> tuple[Contents, timedelta, int, dict[str, list[Any]]]:
    """The file's records, ready for ``state`` (revived); Damaged when anything does not fit."""
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise Damaged(f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise Damaged("not a JSON object")
    if doc.get("version") != VERSION:
        raise Damaged(f"version {doc.get('version')!r}; this TillQR reads version {VERSION}")
    spoken = set(state.status_words)
    dormant: dict[str, list[Any]] = {"requests": [], "links": [], "locations": [], "answers": []}
    contents = Contents([], [], {}, {})
    for item in _items(doc, "requests"):
        if _provider_of(item, "requests") not in spoken:
            dormant["requests"].append(item)
            continue
        req = from_record(SimRequest, item)
        revive = state.revivers.get(req.provider)
        if revive is not None:
            revive(req)
        contents.requests.append(req)
    for item in _items(doc, "links"):
        if _provider_of(item, "links") not in spoken:
            dormant["links"].append(item)
        else:
            contents.links.append(from_record(SimLink, item))
    held = {("request", r.provider, r.id) for r in contents.requests} | {
        ("link", link.provider, link.id) for link in contents.links
    }
    for item in _items(doc, "locations"):
        if not (isinstance(item, list) and len(item) == 4 and all(isinstance(v, str) for v in item)):
            raise Damaged(f"a location must be [key, kind, provider, id], not {item!r}")
        key, kind, provider, ident = cast(list[str], item)
        if provider not in spoken:
            dormant["locations"].append(item)
        elif (kind, provider, ident) in held:
            contents.locations[key] = (kind, provider, ident)
    for item in _items(doc, "answers"):
        scope = item.get("scope") if isinstance(item, dict) else None
        if not (isinstance(item, dict) and isinstance(scope, list) and len(scope) == 3):
            raise Damaged(f"an answer must have a scope of 3, not {item!r}")
        if scope[0] not in spoken:
            dormant["answers"].append(item)
            continue
        idem, mark, status = item.get("key"), item.get("fingerprint"), item.get("status")
        if not (isinstance(idem, str) and isinstance(mark, str) and isinstance(status, int)):
            raise Damaged(f"an answer needs a key, a fingerprint and a status, not {item!r}")
        provider, method, where = (str(part) for part in scope)
        contents.answers[(provider, method, where, idem)] = StoredAnswer(mark, status, decode(item.get("body")))
    offset = decode(doc.get("offset"))
    count = doc.get("call_count", 0)
    if not isinstance(offset, timedelta) or not isinstance(count, int):
        raise Damaged("offset and call_count must be a time and a count")
    return contents, offset, count, {k: v for k, v in dormant.items() if v}


# -- the file ------------------------------------------------------------------------------------
@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """The OS lock on ``<name>.lock`` beside ``path``, for one read or one write."""
    try:
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:  # a read-only folder: the read (or the write) itself says what it can
        log.warning("the demo sandbox's state %s cannot be locked (%s)", path, exc.strerror or exc)
        yield
        return
    try:
        _flock(fd)
        yield
    finally:
        os.close(fd)  # releases the lock


def _flock(fd: int) -> None:
    try:
        import fcntl  # lazy: POSIX only; Windows has no fcntl (and no lock, as app.runtime.TillLock)
    except ImportError:
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _signature(path: Path) -> Signature:
    try:
        st = path.stat()
    except FileNotFoundError:
        return ABSENT
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.chmod(tmp, 0o600)  # a temp file left by a crash keeps its old mode otherwise
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """The rename made durable (POSIX; where a folder cannot be opened, the rename stands as it is)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write(path: Path, data: bytes, seen: Signature | None = None) -> Signature:
    """``data`` (from ``dumps``) to ``path``, atomically (temp file, fsync, rename), mode 0600; returns the file's
    signature. ``seen``: the file as this process last read or wrote it; a warning is logged when another
    process has changed it since (its changes are overwritten: the last writer wins)."""
    with _locked(path):
        if seen is not None and _signature(path) not in (seen, ABSENT):
            log.warning(
                "the demo sandbox's state in %s was changed by another TillQR process since this one read it; "
                "what that process added is overwritten (the last one to save wins)",
                path,
            )
        _write_atomic(path, data)
        return _signature(path)


def save(state: SandboxState, path: Path) -> None:
    """The whole state to ``path`` (atomic, 0600, under the file lock)."""
    write(path, dumps(state))


def _set_aside(path: Path, why: object) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        aside, n = path.with_name(f"{path.name}.damaged-{stamp}-{n}"), n + 1
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning(
            "the demo sandbox's state %s cannot be read (%s) nor set aside (%s); starting empty", path, why, exc
        )
        return
    log.warning(
        "the demo sandbox's state %s could not be read back (%s): it was set aside as %s and the demo sandbox "
        "starts empty",
        path,
        why,
        aside.name,
    )


def _read_into(state: SandboxState, path: Path) -> tuple[bool, Signature]:
    """``load``, also giving the file's signature as read (for ``write``'s ``seen``)."""
    c = state.contents()
    if c.requests or c.links or c.answers:
        raise ValueError("the sandbox already holds requests: a saved state loads into an empty one only")
    with _locked(path):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return False, ABSENT
        except OSError as exc:
            _set_aside(path, exc.strerror or exc)
            return False, ABSENT
        try:
            contents, offset, count, dormant = _parse(state, raw)
        except (ValueError, TypeError, KeyError, AttributeError, ImportError) as exc:  # Damaged, or a class's check
            _set_aside(path, exc)
            return False, ABSENT
        signature = _signature(path)
    state.restore(contents)
    state.offset, state.call_count, state.dormant = offset, count, dormant
    return True, signature


def load(state: SandboxState, path: Path) -> bool:
    """Read ``path`` into the empty ``state``: True when loaded, False when there is no file (or it was damaged:
    set aside, a warning logged, the state left empty). ValueError when ``state`` already holds requests."""
    return _read_into(state, path)[0]


# -- one process's embedded sandbox ----------------------------------------------------------------
class StateKeeper:
    """The embedded sandbox ``state`` kept in ``path``: ``load()`` once, then saved after every call that may
    change it (``watch(app)``, the ASGI app that the in-process transport calls) and on ``save()``.
    Saves are serialised here (one at a time, each writing the state as it is then) and written on a
    worker thread, so the loop (Qt's, in the GUI) never waits on the disk."""

    def __init__(self, state: SandboxState, path: Path):
        self.state = state
        self.path = path
        self._seen: Signature | None = None
        self._lock = asyncio.Lock()
        self._changes = 0  # calls that may have changed the state so far
        self._saved = 0  # of those, how many the file holds
        self._background: asyncio.Task[None] | None = None

    def changed(self) -> int:
        """Count one change and see that a background save will cover it; returns its number."""
        self._changes += 1
        if self._background is None or self._background.done():
            self._background = asyncio.get_running_loop().create_task(self._save_later())
        return self._changes

    async def settled(self) -> None:
        """Wait for the background save under way (if any): the file then holds every change made before it."""
        if self._background is not None:
            await asyncio.shield(self._background)

    async def _save_later(self) -> None:
        while self._saved < self._changes:  # changes made while a write was under way get the next one
            before = self._saved
            await self.save(upto=self._changes)
            if self._saved == before:  # the disk refused (logged): the next change tries again
                return

    def load(self) -> bool:
        loaded, self._seen = _read_into(self.state, self.path)
        return loaded

    async def save(self, upto: int | None = None) -> None:
        """The state now (or at least up to change ``upto``), on disk; a disk that refuses it is logged (the
        demo goes on), never raised. Saves coalesce: callers waiting while one is written are all covered by
        the next, which writes the state as it is then (one file write for a wave of concurrent calls, not one
        each: a sync of thousands of bills in demo mode would otherwise rewrite the file thousands of times)."""
        wanted = self._changes if upto is None else upto
        if upto is None and self._background is not None and not self._background.done():
            await asyncio.shield(self._background)  # the one under way first: a held task is never dropped
        async with self._lock:
            if self._saved >= wanted and upto is not None:
                return
            covers = self._changes
            data = dumps(self.state)
            try:
                self._seen = await asyncio.to_thread(write, self.path, data, self._seen)
            except OSError as exc:
                log.warning("the demo sandbox's state could not be saved to %s: %s", self.path, exc)
            else:
                self._saved = max(self._saved, covers)

    def watch(self, app: Starlette) -> WatchedApp:
        """``app``, saving the state in the background after each call that may have changed it."""
        return WatchedApp(app, self)


class WatchedApp:
    """A sandbox app whose state a ``StateKeeper`` saves after each call that may change it; ``state`` is the
    app's own (``app.state.sandbox`` reads the same through it)."""

    def __init__(self, app: Starlette, keeper: StateKeeper):
        self.app = app
        self.state = app.state
        self.keeper = keeper

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope.get("method") not in UNCHANGING:
                self.keeper.changed()


__all__ = ["VERSION", "Damaged", "StateKeeper", "WatchedApp", "dumps", "load", "save", "write"]
