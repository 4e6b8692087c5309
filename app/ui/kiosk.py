"""The kiosk's Qt side: the manager's Exit choices, touch sizes, and the page stack.

- ``ExitDialog``: what the manager may do once past the PIN (app/screens/kiosk_model.py decides which
  choices there are); window-modal and opened with ``open()``, so the asyncio loop keeps running.
- ``screen_touch_px`` / ``fit_for_touch`` / ``refit_touch``: buttons at least 9 mm on the screen the window is on
  (app/screens/touch.py turns millimetres into pixels).
- ``PageStack``: a QStackedWidget that asks for the room of the page shown, not of its largest page
  (each page lays itself out for a small screen when it is shown: the journal's narrow layout).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from app.i18n import _
from app.screens.kiosk_model import CHOICE_WORDS, ExitChoice
from app.screens.touch import touch_px
from app.ui.qss import local

STYLE = """
QDialog#exitDialog { background: #f4f6f8; border: 2px solid #52606d; }
QLabel#exitTitle { font-size: 22px; font-weight: bold; }
QPushButton#exitChoice { font-size: 20px; font-weight: bold; padding: 4px 16px; }
QPushButton#exitChoice[choice="quit"] { background: #b00020; color: #ffffff; border-color: #7a0013; }
"""


TOUCH_PX = "touchPx"  # the property fit_for_touch leaves on a button: its side in px


def screen_touch_px(widget: QWidget) -> int:
    """The side of a 9 mm target on ``widget``'s screen (96 dpi when the screen does not say its size)."""
    screen = widget.screen()
    return touch_px(screen.physicalDotsPerInch() if screen is not None else None)


def fit_for_touch(px: int, *buttons: QWidget) -> None:
    """Each button at least ``px`` high and wide, and kept so by ``refit_touch`` after a re-polish."""
    for button in buttons:
        button.setProperty(TOUCH_PX, px)
        _at_least(button, px)


def refit_touch(root: QWidget) -> None:
    """Again after the style sheet was applied anew (a re-polish sets its own minimum sizes back): each
    button ``fit_for_touch`` sized keeps the larger of the style's minimum and a finger's."""
    for widget in [root, *root.findChildren(QWidget)]:
        px = widget.property(TOUCH_PX)
        if isinstance(px, int) and px > 0:
            _at_least(widget, px)


def _at_least(widget: QWidget, px: int) -> None:
    if widget.minimumWidth() < px or widget.minimumHeight() < px:
        widget.setMinimumSize(max(widget.minimumWidth(), px), max(widget.minimumHeight(), px))


class PageStack(QStackedWidget):
    """Pages one above the other; its size hints are those of the page shown."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()


class ExitDialog(QDialog):
    """One big button per choice; ``chosen`` carries the ExitChoice pressed (Escape: STAY)."""

    chosen = Signal(object)

    def __init__(self, choices: tuple[ExitChoice, ...], *, touch: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("exitDialog")
        self.setWindowTitle(_("Exit"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(local(STYLE))
        column = QVBoxLayout(self)
        column.setContentsMargins(22, 16, 22, 16)
        column.setSpacing(10)
        title = QLabel(_("What would you like to do?"))
        title.setObjectName("exitTitle")
        column.addWidget(title)
        self.buttons: dict[ExitChoice, QPushButton] = {}
        for choice in choices:
            button = QPushButton(CHOICE_WORDS[choice])
            button.setObjectName("exitChoice")
            button.setProperty("choice", choice.value)
            button.clicked.connect(lambda _=False, c=choice: self._choose(c))
            column.addWidget(button)
            self.buttons[choice] = button
        fit_for_touch(touch, *self.buttons.values())
        self.rejected.connect(lambda: self.chosen.emit(ExitChoice.STAY))

    def _choose(self, choice: ExitChoice) -> None:
        self.chosen.emit(choice)
        self.done(QDialog.DialogCode.Accepted)
