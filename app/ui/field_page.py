"""FieldPage: the main window's Field page. Opens the field work's parts in the background (the field book,
the tariffs, the provider: app.fieldwork.opening), then shows the FieldView; says in words why it cannot
when it cannot (a broken tariff table, a provider without amount updates, the field book held by a
``tillqr sync``). ``aclose`` stops the screen and closes what it opened (awaited by app.ui.app when the
window closes, before the till's runtime is closed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from app.domain.tariffs import TariffError
from app.fieldwork.opening import FieldSession
from app.i18n import _
from app.providers.base import ProviderError
from app.retry import SYSTEM_TIMER, Timer
from app.runtime import CannotStart
from app.screens.field_model import FieldModel
from app.storage.fieldbook import FieldbookError

from .field_view import FieldBridge, FieldView
from .qss import local

NOTE_STYLE = "font-size: 18px; color: #323f4b; padding: 24px;"

log = logging.getLogger("tillqr.ui.field")

EXPECTED = (CannotStart, TariffError, FieldbookError, ProviderError, OSError)


class FieldPage(QStackedWidget):
    def __init__(
        self,
        opener: Callable[[], Awaitable[FieldSession]],
        *,
        timer: Timer = SYSTEM_TIMER,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("fieldPage")
        self.timer = timer
        self.note = QLabel(_("Opening the field book…"))
        self.note.setObjectName("fieldOpening")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(local(NOTE_STYLE))
        self.addWidget(self.note)
        self.view: FieldView | None = None
        self.session: FieldSession | None = None
        self.bridge: FieldBridge | None = None
        self.opening: asyncio.Task[None] = asyncio.ensure_future(self._open(opener))

    async def _open(self, opener: Callable[[], Awaitable[FieldSession]]) -> None:
        try:
            session = await opener()
        except EXPECTED as exc:
            log.info("the field screen cannot open: %s", exc, exc_info=True)
            self.note.setText(_("The field screen cannot open: {error}").format(error=exc))
            return
        except Exception as exc:
            log.exception("the field screen cannot open")
            self.note.setText(_("The field screen cannot open: {error}").format(error=f"{type(exc).__name__}: {exc}"))
            return
        self.session = session
        model = FieldModel(session.service, demo=session.demo, timer=self.timer)
        self.bridge = FieldBridge(session.service, self)
        self.bridge.follow(model.on_event)
        self.view = FieldView(model)
        self.addWidget(self.view)
        self.setCurrentWidget(self.view)

    async def aclose(self) -> None:
        """Stop the screen (its probes, a sync under way) and close the field book and provider it opened."""
        if not self.opening.done():
            self.opening.cancel()
            await asyncio.gather(self.opening, return_exceptions=True)
        if self.bridge is not None:
            self.bridge.close()
        if self.view is not None:
            await self.view.model.aclose()
        if self.session is not None:
            session, self.session = self.session, None
            await session.aclose()
