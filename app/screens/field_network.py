"""The field screen's network side, without Qt: online or offline (only as a probe or a sync said), the sync
with its progress and summary, the periodic probe that syncs by itself, and the demo route's import.

A part of ``app.screens.field_model.FieldModel`` (its base class), kept apart to keep each file readable;
everything here runs through the model's ``net`` operation runner, so the form (``ops``) stays free while
the network is busy.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from app.fieldwork.importer import ImportProgress, ImportReport
from app.fieldwork.route_csv import RouteError, read_route
from app.fieldwork.service import FieldService
from app.fieldwork.sync import SyncProgress, SyncReport
from app.i18n import _, lazy_
from app.retry import Timer
from app.storage.fieldbook import FieldbookError, SyncState

from . import field_lines
from .field_lines import Banner, Connection
from .operations import Busy, Level, Operations, Words

log = logging.getLogger("tillqr.field.screen")

SYNC = Words(lazy_("Sync failed"), stop=".", expected=(FieldbookError, ValueError))
PROBE = Words(lazy_("The connection could not be checked"), stop=".")
IMPORT = Words(lazy_("The demo route could not be loaded"), stop=".", expected=(RouteError, FieldbookError, ValueError))


def while_busy(running: Busy, wanted: Busy) -> str:
    if running is Busy.SYNC:
        return _("A sync is running; it goes on by itself.")
    if running is Busy.PROBE:
        return _("Checking the connection; try again in a moment.")
    if running is Busy.IMPORT:
        return _("The route is being loaded; wait a moment.")
    return _("Still busy: wait a moment.")


class FieldNetwork:
    """What FieldModel's network side needs of the model (set in its ``__init__``)."""

    service: FieldService
    net: Operations
    timer: Timer
    probe_every_s: float
    auto_sync: bool
    demo: bool
    demo_route: Path
    online: bool | None
    online_detail: str
    counts: dict[SyncState, int]
    progress: SyncProgress | None
    import_progress: ImportProgress | None
    report: SyncReport | None
    loaded: bool
    message: str
    message_level: str

    def changed(self) -> None:
        raise NotImplementedError

    async def load(self) -> None:
        raise NotImplementedError

    def _say(self, text: str, level: Level = Level.INFO) -> None:
        raise NotImplementedError

    @property
    def total(self) -> int:
        """Bills on the open routes (whatever the search shows)."""
        return sum(self.counts.values())

    @property
    def syncing(self) -> bool:
        return self.net.busy is Busy.SYNC

    @property
    def pending(self) -> int:
        return self.counts.get(SyncState.PENDING, 0)

    @property
    def can_load_demo(self) -> bool:
        """Demo mode with nothing in the field book: the sandbox's sample route may be loaded."""
        return self.demo and self.loaded and self.total == 0 and self.service.provider is not None

    # -- the network ------------------------------------------------------------------------------
    @property
    def connection(self) -> Connection:
        if self.syncing:
            return Connection.SYNCING
        if self.online is None:
            return Connection.UNKNOWN
        return Connection.ONLINE if self.online else Connection.OFFLINE

    @property
    def banner(self) -> Banner:
        return field_lines.banner(self.connection, self.online_detail, self.counts, self.progress)

    @property
    def last_sync(self) -> str:
        return field_lines.sync_summary(self.report) if self.report is not None else ""

    @property
    def can_sync(self) -> bool:
        return self.service.provider is not None and self.net.busy is None

    async def probe(self) -> bool | None:
        """Ask the provider now (a real call); None when the network side is busy or there is no provider."""
        if self.service.provider is None or self.net.busy is not None:
            return None
        outcome = await self.net.run(Busy.PROBE, self.service.probe(), PROBE, doing=None, level=Level.WARNING)
        return outcome.value

    async def sync(self) -> SyncReport | None:
        """Ctrl+S: every pending reading pushed; the report (also kept in ``report``), or None when it did not run."""
        if self.service.provider is None:
            self._say(_("No provider is set up: readings stay on this laptop."), Level.WARNING)
            self.changed()
            return None
        report = None
        while True:
            self.progress = None
            outcome = await self.net.run(Busy.SYNC, self.service.sync(), SYNC, doing=_("Syncing…"))
            if outcome.value is None:
                break
            report = outcome.value
            self.progress = None
            await self.load()
            self.report = report  # after the bills are read again: the summary and the rows agree
            # readings recorded while it ran go too, as long as the last run moved something
            if report.offline or report.synced == 0 or self.pending == 0 or not self.auto_sync:
                break
        if report is not None:
            self._say(
                field_lines.sync_summary(report), Level.WARNING if report.offline or report.conflicts else Level.INFO
            )
        self.progress = None
        self.changed()
        return report

    async def maybe_sync(self) -> SyncReport | None:
        """Sync when it is worth it: automatic sync on, online, readings pending, nothing else on the network."""
        if not self.auto_sync or self.online is not True or self.pending == 0 or self.net.busy is not None:
            return None
        return await self.sync()

    async def tick(self) -> SyncReport | None:
        """One round of the watch: probe, and sync when online with readings pending."""
        if self.service.provider is None:
            return None
        await self.probe()
        if self.loaded:
            self.counts = await self.service.counts()
        return await self.maybe_sync()

    async def watch(self) -> None:
        """Load, then ``tick`` every ``probe_every_s`` (``timer.sleep``) until the screen closes."""
        await self.load()
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one round must not stop the next
                log.exception("the field screen's probe failed")
            await self.timer.sleep(self.probe_every_s)

    # -- the demo route ---------------------------------------------------------------------------
    async def load_demo_route(self) -> ImportReport | None:
        """Demo mode: the sample route (resources/route-demo.csv) imported, its bills created at the sandbox."""
        if not self.can_load_demo:
            return None
        outcome = await self.net.run(Busy.IMPORT, self._import(self.demo_route), IMPORT, doing=_("Loading the route…"))
        self.import_progress = None
        report = outcome.value
        if report is not None:
            await self.load()
            if report.offline:
                self._say(
                    _("The route is loaded only in part: the sandbox could not be reached. Try again."), Level.WARNING
                )
            else:
                self._say(field_lines.demo_loaded(report.bills))
        self.changed()
        return report

    async def _import(self, path: Path) -> ImportReport:
        bills = await asyncio.to_thread(read_route, path, self.service.tariffs)
        return await self.service.import_bills(bills, path, self._on_import)

    def _on_import(self, step: ImportProgress) -> None:
        self.import_progress = step
        self.net.say(field_lines.import_words(step))
