"""``ElidedLabel``: a label that ends in "…" where its room ends; ``FittingNote``: a note that keeps to a line on a short panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy


class ElidedLabel(QLabel):
    """A label that ends in "…" where its room ends (the store's name in a narrow header), never cut mid-letter;
    the whole text stays its tooltip and accessible name."""

    def __init__(self, text: str):
        super().__init__(text)
        self.full_text = text
        self.setAccessibleName(text)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        shown = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, max(0, self.width()))
        if shown != self.text():
            self.setText(shown)


class FittingNote(QLabel):
    """A note that wraps while the panel has room and, once ``set_compact(True)`` (a short panel), keeps to one
    line ending in "…", the whole text in its tooltip and accessible name: the room goes to what matters more."""

    def __init__(self) -> None:
        super().__init__()
        self.full_text = ""
        self._compact = False
        self.setWordWrap(True)

    def set_note(self, text: str) -> None:
        self.full_text = text
        self._fit()

    def set_compact(self, compact: bool) -> None:
        if compact == self._compact:
            return
        self._compact = compact
        self.setWordWrap(not compact)
        policy = self.sizePolicy()  # one line: its width comes from the layout, never from the text's length
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored if compact else QSizePolicy.Policy.Preferred)
        self.setSizePolicy(policy)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self._compact:
            self._fit()

    def _fit(self) -> None:
        shown = self.full_text
        if self._compact:
            room = max(0, self.contentsRect().width() - 2 * self.margin() - self.indent())
            shown = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, room)
        self.setToolTip(self.full_text if shown != self.full_text else "")
        self.setAccessibleName(self.full_text)
        if shown != self.text():
            self.setText(shown)
