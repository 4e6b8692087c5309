"""``ElidedLabel``: a label that ends in "…" where its room ends."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel


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
