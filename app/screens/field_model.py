"""FieldModel: everything the field screen knows and decides, without Qt.

The view (app/ui/field_view.py) forwards the search text, the selected bill, the reading being typed and the
commands here, and repaints from the model's read-only views (``rows``, ``current``, ``preview``, ``banner`` …)
whenever the model says it changed. Tested without a screen (tests/unit/test_field_model.py), against a real
``FieldService`` (app.fieldwork.service), which is the one command layer the CLI calls too:

- the route's bills in route order, searched by bill, customer, address or meter (``FieldService.bills``);
- the selected bill and the reading typed for it, with its charge as it is typed (``FieldService.preview``:
  the tariff's lines and total, or the rejection in words and whether the agent may confirm it, a meter that
  rolled over or was replaced, a jump that is real: ``confirm_reset``);
- ``record``: the reading written offline (one transaction with its outbox entry), then the next bill
  without a reading is selected, so a route is read with the keyboard alone;
- the banner: online or offline as the last probe or sync said (``OnlineChanged``; unknown until one
  answered, never a guess), the readings pending and the bills in conflict;
- ``sync``: the outbox pushed, with its progress (``SyncProgress``) and the last sync's summary;
- automatic sync: ``watch`` probes every ``probe_every_s`` through the injected ``timer`` (tests drive the
  ticks, nothing sleeps) and syncs when it is online with readings pending; a reading recorded while online
  is synced at once;
- a conflict resolved by the agent: ``reissue`` (a new payment request for the reading) or ``drop`` (with
  a note);
- demo mode with an empty field book: ``load_demo_route`` imports resources/route-demo.csv.

Two operation runners (app.screens.operations): ``ops`` for the form (record, resolve), ``net`` for what
waits on the network (probe, sync, import), so an agent keeps recording while a sync runs. The service's
events arrive by one route, ``on_event`` (app.ui delivers them on the GUI thread; tests subscribe it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from app.domain.bills import ReadingRejected
from app.domain.tariffs import TariffError
from app.fieldwork.billing import UnknownTariff
from app.fieldwork.importer import ImportProgress
from app.fieldwork.route_csv import DEMO_ROUTE_FILE, RouteError
from app.fieldwork.service import BillRow, BillsChanged, FieldEvent, FieldService, NoSuchBill, OnlineChanged
from app.fieldwork.sync import SyncProgress, SyncReport
from app.i18n import _, lazy_
from app.retry import SYSTEM_TIMER, Timer
from app.storage.fieldbook import FieldbookError, SyncState

from . import field_lines
from .field_lines import Banner, Connection, Preview
from .field_network import FieldNetwork, while_busy
from .observed import Listeners
from .operations import Busy, Level, Operations, Words

__all__ = ["Banner", "Connection", "FieldModel", "Preview"]

log = logging.getLogger("tillqr.field.screen")

_FIELD_ERRORS = (ReadingRejected, NoSuchBill, UnknownTariff, FieldbookError, TariffError, RouteError, ValueError)
RECORD = Words(lazy_("Reading not recorded"), stop=".", expected=_FIELD_ERRORS)
RESOLVE = Words(lazy_("Conflict not resolved"), stop=".", expected=_FIELD_ERRORS)
PROBE_EVERY_S = 30.0


class FieldModel(FieldNetwork):
    """The state of the field screen over ``service``. ``demo``: the sandbox's route may be loaded;
    ``timer`` paces the probes (``sleep``); ``auto_sync``: sync by itself when online with readings pending."""

    def __init__(
        self,
        service: FieldService,
        *,
        demo: bool = False,
        timer: Timer = SYSTEM_TIMER,
        probe_every_s: float = PROBE_EVERY_S,
        auto_sync: bool = True,
        demo_route: Path = DEMO_ROUTE_FILE,
    ):
        self.service = service
        self.demo = demo
        self.timer = timer
        self.probe_every_s = probe_every_s
        self.auto_sync = auto_sync
        self.demo_route = demo_route
        self.rows: list[BillRow] = []  # the bills the search finds, in route order
        self.query = ""
        self.selected: str | None = None
        self.text = ""  # the reading being typed for the selected bill
        self.confirm_reset = False
        self.counts: dict[SyncState, int] = dict.fromkeys(SyncState, 0)
        self.online: bool | None = service.online
        self.online_detail = ""
        self.progress: SyncProgress | None = None
        self.import_progress: ImportProgress | None = None
        self.report: SyncReport | None = None  # the last sync's
        self.loaded = False
        self.message = ""
        self.message_level: str = Level.INFO
        self.ops = Operations(self, while_busy)  # the form: record, resolve
        self.net = Operations(self, while_busy)  # the network: probe, sync, import
        self._listeners = Listeners()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._generation = 0  # of the last load asked: an older answer is dropped
        self._stamp = 0  # counts the rows re-read one by one (``_replace``), so a slower whole load keeps them
        self._replaced: dict[str, tuple[int, BillRow]] = {}
        self._watching: asyncio.Task[None] | None = None
        self._recording: set[str] = set()  # bills whose reading is being written
        self._writing = asyncio.Lock()  # one reading written at a time, in the order Enter was pressed

    # -- observers ----------------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every change; returns the function that stops it."""
        return self._listeners.add(listener)

    def changed(self) -> None:
        self._listeners()

    @property
    def busy(self) -> Busy | None:
        """What the form waits for (record, resolve)."""
        return self.ops.busy

    @property
    def network_busy(self) -> Busy | None:
        """What the network side waits for (probe, sync, import)."""
        return self.net.busy

    def _say(self, text: str, level: Level = Level.INFO) -> None:
        self.message, self.message_level = text, level

    def _spawn(self, call: Coroutine[Any, Any, object]) -> asyncio.Task[Any] | None:
        """A held background task (kept until it ends, cancelled by ``close``); None without a running loop."""
        try:
            task = asyncio.get_running_loop().create_task(call)
        except RuntimeError:
            call.close()
            return None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def start(self) -> None:
        """The screen is shown: read the bills, then probe (and sync) every ``probe_every_s``."""
        if self._watching is None or self._watching.done():
            self._watching = self._spawn(self.watch())

    def close(self) -> None:
        """The view is going away: stop what is still running."""
        self.ops.close()
        self.net.close()
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        """``close``, and wait until what was running has stopped (before the field book is closed)."""
        self.close()
        await asyncio.gather(*self._tasks, *self.ops.tasks, *self.net.tasks, return_exceptions=True)

    # -- the bills ------------------------------------------------------------------------------
    async def load(self) -> None:
        """(Re)read the bills the search finds and the counts; keeps the selection when the bill is still shown."""
        self._generation += 1
        generation, started = self._generation, self._stamp
        try:
            rows = await self.service.bills(self.query)
            counts = await self.service.counts()
        except FieldbookError as exc:
            log.exception("the field book could not be read")
            self._say(_("The field book could not be read: {error}.").format(error=exc), Level.ERROR)
            self.changed()
            return
        if generation != self._generation:
            return  # the search changed meanwhile: a newer load is on its way
        newer = {b: r for b, (stamp, r) in self._replaced.items() if stamp > started}
        if newer:  # a bill re-read while this load was reading: its newer row wins over this load's older one
            rows = [newer.get(r.bill.bill_id, r) for r in rows]
        self.rows, self.counts, self.loaded = rows, counts, True
        if self.current is None:
            first = self._next_unread(None) or (rows[0].bill.bill_id if rows else None)
            self._pick(first)
        self.changed()

    async def _refresh(self, bill_ids: tuple[str, ...]) -> None:
        for bill_id in bill_ids:
            row = await self.service.bill(bill_id)
            if row is not None:
                self._replace(row)
        self.counts = await self.service.counts()
        self.changed()

    def _replace(self, row: BillRow) -> None:
        self._stamp += 1
        self._replaced[row.bill.bill_id] = (self._stamp, row)
        for i, old in enumerate(self.rows):
            if old.bill.bill_id == row.bill.bill_id:
                self.rows[i] = row
                return

    @property
    def conflicts(self) -> int:
        return self.counts.get(SyncState.CONFLICT, 0)

    @property
    def summary(self) -> str:
        return field_lines.summary(self.loaded, len(self.rows), self.total, self.counts, bool(self.query))

    # -- search and selection ---------------------------------------------------------------------
    async def set_query(self, text: str) -> None:
        self.query = text
        await self.load()

    @property
    def current(self) -> BillRow | None:
        return next((r for r in self.rows if r.bill.bill_id == self.selected), None)

    def select(self, bill_id: str | None) -> None:
        """Pick a bill (its typed reading starts empty)."""
        if bill_id == self.selected:
            return
        self._pick(bill_id)
        if self.message_level == Level.ERROR and self.busy is None:
            self._say("")
        self.changed()

    def _pick(self, bill_id: str | None) -> None:
        self.selected, self.text, self.confirm_reset = bill_id, "", False

    def move(self, step: int) -> None:
        """The bill ``step`` rows down (up when negative) in the list shown; stays at either end."""
        if not self.rows:
            return
        ids = [r.bill.bill_id for r in self.rows]
        at = ids.index(self.selected) if self.selected in ids else -1
        self.select(ids[max(0, min(len(ids) - 1, at + step))])

    def _next_unread(self, after: str | None) -> str | None:
        """The first bill without a reading after ``after`` in the list shown, going round; None when all are read."""
        ids = [r.bill.bill_id for r in self.rows]
        start = ids.index(after) + 1 if after in ids else 0
        order = self.rows[start:] + self.rows[:start]
        return next(
            (
                r.bill.bill_id
                for r in order
                if r.reading is None and r.bill.bill_id != after and r.bill.bill_id not in self._recording
            ),
            None,
        )

    # -- the reading ------------------------------------------------------------------------------
    def set_text(self, text: str) -> None:
        """The reading as typed; a change asks for the confirmation again."""
        if text == self.text:
            return
        self.text = text
        self.confirm_reset = False
        if self.message_level == Level.ERROR and self.busy is None:
            self._say("")  # the agent is fixing it
        self.changed()

    def clear(self) -> None:
        """Esc: the typed reading (and its confirmation) forgotten."""
        self.text, self.confirm_reset = "", False
        if self.busy is None:
            self._say("")
        self.changed()

    def set_confirm(self, on: bool) -> None:
        """The agent looked again: the meter rolled over or was replaced, or the jump is real."""
        if on and not self.preview.confirmable and not self.confirm_reset:
            return
        self.confirm_reset = on
        self.changed()

    @property
    def preview(self) -> Preview:
        """The charge the typed reading gives, or why it cannot be taken."""
        row = self.current
        if row is None or not self.text.strip():
            return Preview()
        try:
            charge = self.service.preview(row, self.text, confirm_reset=self.confirm_reset)
        except ReadingRejected as exc:
            return Preview(problem=exc.message, confirmable=exc.confirmable)
        except (UnknownTariff, TariffError, ValueError) as exc:
            return Preview(problem=str(exc))
        return Preview(charge=charge)

    @property
    def can_record(self) -> bool:
        return self.busy is None and self.preview.ok

    async def record(self) -> bool:
        """Enter: the typed reading recorded for the selected bill (offline), then the next unread bill."""
        taken = self._take()
        return False if taken is None else await self._write(*taken)

    def record_now(self) -> asyncio.Task[bool] | None:
        """``record`` for a key press: checked and moved on *now* (the keys typed next go to the next bill's
        reading, even before the write ends), the write itself a held task. None when refused (said why)."""
        taken = self._take()
        return None if taken is None else self._spawn(self._write(*taken))

    def _take(self) -> tuple[str, str, bool] | None:
        """The reading to write (bill, text, confirmation), the selection moved on to the next bill to read;
        None (and why, in words) when there is nothing right to record."""
        row = self.current
        if row is None:
            self._say(_("Pick a bill first."), Level.INFO)
            self.changed()
            return None
        preview = self.preview
        if not preview.ok:
            if preview.problem:
                self._say(field_lines.problem_words(preview), Level.ERROR)
            else:
                self._say(_("Type the meter reading, then press Enter."), Level.INFO)
            self.changed()
            return None
        taken = (row.bill.bill_id, self.text, self.confirm_reset)
        self._recording.add(row.bill.bill_id)
        self._pick(self._next_unread(row.bill.bill_id) or row.bill.bill_id)
        self.changed()
        return taken

    async def _write(self, bill_id: str, text: str, confirm: bool) -> bool:
        try:
            async with self._writing:  # one at a time, in the order Enter was pressed
                call = self.service.record(bill_id, text, confirm_reset=confirm)
                outcome = await self.ops.run(Busy.RECORD, call, RECORD, doing=None)
        finally:
            self._recording.discard(bill_id)
        done = outcome.value
        if done is None:  # not written: back to that bill, with what was typed and why
            self.selected, self.text, self.confirm_reset = bill_id, text, confirm
            self.changed()
            return False
        self._replace(done)
        self.counts = await self.service.counts()
        self._say(field_lines.recorded_words(bill_id, done))
        self.changed()
        if self.online is True:
            self._spawn(self.maybe_sync())
        return True

    # -- conflicts --------------------------------------------------------------------------------
    @property
    def in_conflict(self) -> bool:
        row = self.current
        return row is not None and row.sync_state is SyncState.CONFLICT

    async def reissue(self) -> bool:
        """The selected conflict resolved by charging its reading on a new payment request (next sync)."""
        return await self._resolve(None)

    async def drop(self, note: str) -> bool:
        """The selected conflict resolved by dropping its reading; ``note`` says why (kept with it)."""
        if not note.strip():
            self._say(_("Say why the reading is dropped: the note is kept with it."), Level.ERROR)
            self.changed()
            return False
        return await self._resolve(note)

    async def _resolve(self, note: str | None) -> bool:
        row = self.current
        if row is None or row.sync_state is not SyncState.CONFLICT:
            self._say(_("Pick a bill in conflict first."), Level.INFO)
            self.changed()
            return False
        bill_id = row.bill.bill_id
        call = self.service.reissue(bill_id) if note is None else self.service.drop(bill_id, note)
        outcome = await self.ops.run(Busy.RESOLVE, call, RESOLVE, doing=None)
        if outcome.value is None:
            return False
        self._replace(outcome.value)
        self.counts = await self.service.counts()
        if note is None:
            self._say(_("Bill {bill}: re-issued: it goes with the next sync.").format(bill=bill_id))
        else:
            self._say(_("Bill {bill}: reading dropped, with your note.").format(bill=bill_id))
        self.changed()
        if note is None and self.online is True:
            self._spawn(self.maybe_sync())
        return True

    # -- the service's events ---------------------------------------------------------------------
    def on_event(self, event: FieldEvent) -> None:
        """The one entry for the field service's events (app.ui delivers them on the GUI thread)."""
        if isinstance(event, SyncProgress):
            self.progress = event
            self.changed()
        elif isinstance(event, OnlineChanged):
            self.online, self.online_detail = event.online, event.detail
            self.changed()
            if event.online and self.net.busy is None:  # back in range: what waits goes (a probe's caller,
                self._spawn(self.maybe_sync())  # ``tick``, syncs after it itself)
        elif isinstance(event, BillsChanged):
            if event.bill_ids:
                self._spawn(self._refresh(event.bill_ids))
            elif not self.syncing:  # a sync reloads when it ends
                self._spawn(self.load())
