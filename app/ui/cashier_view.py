"""Cashiers by name on screen: the sign-in page, the counter's "Cashier: Ana" bar, and Settings' Cashiers box.

Each draws a Qt-free model (app/screens/cashier_model.py) and forwards presses to it. ``attach`` wires them into
a composed main window: the sign-in page takes the counter's place while the counter waits for a cashier
(``MainWindow.sign_in_needed``); a name opens the PIN dialog on that cashier's own gate (their lock-out); the
bar's Sign out goes back to it. Names are big buttons (at least 9 mm, ``fit_for_touch``), three to a row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.checkout.controller import CheckoutController
from app.i18n import _, lazy_, on_language_changed
from app.screens.cashier_model import CashierAdmin, CashierModel
from app.storage.cashiers import Cashier, Cashiers

from .counter import CounterView
from .kiosk import fit_for_touch, refit_touch
from .main_window import MainWindow
from .pin_dialog import PinDialog
from .qss import local
from .restyle import restyle

STYLE = """
QWidget#signIn { background: #f4f6f8; }
QLabel#signInTitle { font-size: 26px; font-weight: bold; color: #1f2933; }
QLabel#signInHint { font-size: 16px; color: #52606d; }
QPushButton#cashierName { font-size: 22px; font-weight: bold; background: #ffffff; color: #1f2933;
                          border: 2px solid #52606d; border-radius: 8px; padding: 6px 12px; }
QPushButton#cashierName:pressed { background: #d9e2ec; }
QLabel#cashierLabel { font-size: 17px; font-weight: bold; color: #1f2933; }
QLabel#signInMessage { color: #b00020; font-weight: bold; }
"""
COLUMNS = 3  # name buttons to a row


class SignInPage(QWidget):
    """Pick your name, then type your PIN."""

    def __init__(self, model: CashierModel, window: MainWindow):
        super().__init__()
        self.model = model
        self.window_ = window
        self.setObjectName("signIn")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(local(STYLE))
        self.pin_dialog: PinDialog | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(24, 16, 24, 16)
        column.setSpacing(10)
        title = QLabel(_("Who is at the till?"))
        title.setObjectName("signInTitle")
        hint = QLabel(_("Touch your name, then type your PIN."))
        hint.setObjectName("signInHint")
        column.addWidget(title)
        column.addWidget(hint)
        self.grid = QGridLayout()
        self.grid.setSpacing(10)
        column.addLayout(self.grid)
        self.message = QLabel("")
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        column.addWidget(self.message)
        column.addStretch(1)
        self.buttons: dict[int, QPushButton] = {}
        model.on_change(self.redraw)
        self.redraw()

    def redraw(self) -> None:
        shown = [c.id for c in self.model.cashiers]
        if shown != list(self.buttons):
            for button in self.buttons.values():
                button.deleteLater()
            self.buttons = {}
            for i, cashier in enumerate(self.model.cashiers):
                button = QPushButton(cashier.name)
                button.setObjectName("cashierName")
                button.setAccessibleName(_("Sign in as {name}").format(name=cashier.name))
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                button.clicked.connect(lambda _checked=False, c=cashier: self.ask_pin(c))
                self.grid.addWidget(button, i // COLUMNS, i % COLUMNS)
                self.buttons[cashier.id] = button
            fit_for_touch(self.window_.touch, *self.buttons.values())
            refit_touch(self)
        for cashier in self.model.cashiers:
            self.buttons[cashier.id].setText(cashier.name)  # renamed meanwhile
        self.message.setText(self.model.message if self.model.message_level == "error" else "")

    def ask_pin(self, cashier: Cashier) -> PinDialog:
        """The PIN dialog on the cashier's own gate; the counter is theirs once it says yes."""
        dialog = PinDialog(
            self.model.gate(cashier),
            purpose=_("{name}: your PIN").format(name=cashier.name),
            parent=self.window_,
            anchor=self.window_.stack,
            touch=self.window_.touch,
            field_name=_("PIN"),
        )
        dialog.ok_button.setText(_("Sign in"))

        dialog.accepted.connect(lambda: self.model.signed(cashier))  # the window follows the model
        dialog.finished.connect(lambda _code: setattr(self, "pin_dialog", None))
        self.pin_dialog = dialog
        dialog.open()
        return dialog


class CashierBar(QWidget):
    """ "Cashier: Ana" and Sign out, on the counter; hidden when nobody signs in (a one-person shop)."""

    def __init__(self, model: CashierModel, window: MainWindow):
        super().__init__()
        self.model = model
        self.window_ = window
        self.setStyleSheet(local(STYLE))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.label.setObjectName("cashierLabel")
        self.sign_out = QPushButton(_("Sign out"))
        self.sign_out.setObjectName("signOut")
        self.sign_out.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the amount field keeps the keyboard
        self.sign_out.setAccessibleName(_("Sign out: the next cashier signs in"))
        self.sign_out.clicked.connect(self.on_sign_out)
        self.refused = QLabel("")
        self.refused.setObjectName("message")
        self.refused.setProperty("level", "warning")
        row.addWidget(self.label)
        row.addStretch(1)
        row.addWidget(self.refused)
        row.addWidget(self.sign_out)
        fit_for_touch(window.touch, self.sign_out)
        model.on_change(self.redraw)
        self.redraw()

    def redraw(self) -> None:
        self.setVisible(self.model.signed_in is not None)
        self.label.setText(self.model.label)
        self.refused.setText(self.model.message if self.model.message_level == "warning" else "")
        self.refused.setVisible(bool(self.refused.text()))

    def on_sign_out(self) -> None:
        self.model.sign_out()  # the window follows the model: the sign-in page, in the counter's place


class CashiersBox(QGroupBox):
    """Settings' Cashiers section: pick a cashier (or "New cashier"), then add, rename, set a PIN, deactivate."""

    NEW = lazy_("New cashier")

    def __init__(self, admin: CashierAdmin):
        super().__init__()
        self.admin = admin
        self.setObjectName("cashiers")
        form = self._form = QFormLayout(self)
        self.note = QLabel()
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.choice = QComboBox()
        self.choice.currentIndexChanged.connect(self._picked)
        self.name = QLineEdit()
        self.name.setMaxLength(40)
        self.pin = QLineEdit()
        self.repeat = QLineEdit()
        for field in (self.choice, self.name, self.pin, self.repeat):
            form.addRow(QLabel(), field)  # its words: retranslate()
        for field in (self.pin, self.repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setMaxLength(6)
        buttons = QHBoxLayout()
        self.add_button = QPushButton()
        self.rename_button = QPushButton()
        self.pin_button = QPushButton()
        self.deactivate_button = QPushButton()
        for b in (self.add_button, self.rename_button, self.pin_button, self.deactivate_button):
            buttons.addWidget(b)
        form.addRow(buttons)
        self.outcome = QLabel("")
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        form.addRow(self.outcome)
        self.add_button.clicked.connect(self.on_add)
        self.rename_button.clicked.connect(self.on_rename)
        self.pin_button.clicked.connect(self.on_pin)
        self.deactivate_button.clicked.connect(self.on_deactivate)
        admin.on_change(self.redraw)
        stop_words = on_language_changed(lambda _language: self._reword())  # a switch: the new words at once
        self.destroyed.connect(lambda *_args: stop_words())
        self.retranslate()
        self.redraw()

    def _reword(self) -> None:
        self.retranslate()
        self.redraw()

    def retranslate(self) -> None:
        """The box's fixed words in the language in force (at start and on a switch)."""
        self.setTitle(_("Cashiers"))
        self.note.setText(
            _(
                "With no cashier, nobody signs in. Once there is one, each cashier signs in at the counter with their "
                "name and PIN ({digits}), and every sale, cancel and refund records who made it."
            ).format(digits=self.admin.digits)
        )
        for field, label in (
            (self.choice, _("Cashier")),
            (self.name, _("Name")),
            (self.pin, _("PIN")),
            (self.repeat, _("PIN again")),
        ):
            field.setAccessibleName(label)
            shown = self._form.labelForField(field)
            if isinstance(shown, QLabel):
                shown.setText(label)
        for button, text in (
            (self.add_button, _("Add")),
            (self.rename_button, _("Rename")),
            (self.pin_button, _("Set PIN")),
            (self.deactivate_button, _("Deactivate")),
        ):
            button.setText(text)

    def selected(self) -> Cashier | None:
        data = self.choice.currentData()
        return next((c for c in self.admin.cashiers if c.id == data), None)

    def redraw(self) -> None:
        keep = self.choice.currentData()
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItem(str(self.NEW), None)
        for c in self.admin.cashiers:
            self.choice.addItem(c.name if c.active else _("{name} (inactive)").format(name=c.name), c.id)
        at = self.choice.findData(keep)
        self.choice.setCurrentIndex(max(0, at))
        self.choice.blockSignals(False)
        self._enable()
        self.outcome.setText(self.admin.message)
        restyle(self.outcome, "ok", "false" if self.admin.message_level == "error" else "true")

    def _picked(self) -> None:
        chosen = self.selected()
        self.name.setText(chosen.name if chosen else "")
        self._enable()

    def _enable(self) -> None:
        chosen = self.selected()
        idle = self.admin.busy is None and self.admin.loaded
        active = chosen is not None and chosen.active
        self.add_button.setEnabled(idle and chosen is None)
        for b in (self.rename_button, self.pin_button, self.deactivate_button):
            b.setEnabled(idle and active)

    def _take_pins(self) -> tuple[str, str]:
        """The typed PINs, cleared from the form before they are checked (never kept on screen after a try)."""
        typed = self.pin.text(), self.repeat.text()
        self.pin.clear()
        self.repeat.clear()
        return typed

    @asyncSlot()
    async def on_add(self) -> None:
        pin, repeat = self._take_pins()
        if await self.admin.add(self.name.text(), pin, repeat):
            self.name.clear()

    @asyncSlot()
    async def on_rename(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            await self.admin.rename(chosen, self.name.text())

    @asyncSlot()
    async def on_pin(self) -> None:
        chosen = self.selected()
        pin, repeat = self._take_pins()
        if chosen is not None:
            await self.admin.set_pin(chosen, pin, repeat)

    @asyncSlot()
    async def on_deactivate(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            await self.admin.deactivate(chosen)


@dataclass
class CashierScreens:
    """What ``attach`` put in the window: the model, the counter's bar, Settings' model, and the sign-in page once
    it is first needed (never, in a one-person shop)."""

    model: CashierModel
    bar: CashierBar
    admin: CashierAdmin | None
    page: SignInPage | None = None
    loading: asyncio.Task[None] | None = None  # the first read of the cashiers (held)

    def close(self) -> None:
        """The window closed: nothing more is drawn, and what still runs is cancelled."""
        for m in (self.model, *([self.admin] if self.admin is not None else [])):
            m.stop()
        if self.loading is not None:
            self.loading.cancel()


def attach(window: MainWindow, store: Cashiers, controller: CheckoutController, *, settings: bool) -> CashierScreens:
    """Wire cashiers by name into ``window``: the sign-in page in the counter's place while it waits (built the
    first time it is needed), the bar on the counter, and (``settings``) a model for Settings' Cashiers box
    (``settings_box``); the cashiers are read at once, in the background."""
    model = CashierModel(store, controller)
    admin = CashierAdmin(store, on_roster=model.load) if settings else None
    bar = CashierBar(model, window)
    counter = window.counter
    if isinstance(counter, CounterView):
        counter.right_column.insertWidget(0, bar)
    screens = CashierScreens(model, bar, admin)
    window.sign_in_needed = lambda: model.waiting

    def follow() -> None:
        if model.waiting and screens.page is None:
            screens.page = SignInPage(model, window)
            window.add_screen("signin", screens.page)
        at = window.current_page()
        if at in ("counter", "signin") and (at == "signin") != model.waiting:
            window.show_page("counter")  # to the sign-in page, or back from it

    model.on_change(follow)
    screens.loading = asyncio.ensure_future(_load(model, admin))
    window.closed.connect(screens.close)
    return screens


def settings_box(column: QVBoxLayout, admin: CashierAdmin) -> CashiersBox:
    """Settings' Cashiers box, put at the end of its form ``column`` (before its closing stretch)."""
    box = CashiersBox(admin)
    column.insertWidget(max(0, column.count() - 1), box)
    return box


async def _load(model: CashierModel, admin: CashierAdmin | None) -> None:
    await asyncio.gather(model.load(), *([admin.load()] if admin is not None else []))
