"""SettingsView: the manager's Settings page. Renders a SettingsModel; holds no rules of its own.

A scrolling form (Store, Provider, Credentials, Checkout, Manager PIN; each field with its error
in words under it) over a fixed action bar (Test connection, Create payment link, Print sticker,
Save, Restart now) and the last outcome. Provider calls are awaited on the qasync loop
(``@asyncSlot``) and run by the model's operation runner (app/screens/operations.py); the
buttons are disabled while ``model.busy``. Credentials are password fields that are
never filled back: their state reads "set" / "not set" (their box and the Manager PIN's:
app/ui/settings_secrets.py). "Restart now" asks the window's owner
(app/ui/app.py) to close the runtime and open it again on the saved configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import _, lazy_, on_language_changed
from app.providers.registry import PROVIDERS
from app.screens.settings_form import is_switch
from app.screens.settings_model import FIELDS, SECTIONS, SettingsModel

from .a11y import describe
from .qss import local
from .settings_secrets import CredentialsBox, PinBox
from .settings_style import STYLE

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    from app.qr.sticker import Sticker  # lazy: type only

FIRST_RUN = lazy_(
    "No manager PIN yet: set one below first (it guards Settings and the Journal), "
    "then fill in the store and the provider and press Save."
)


class _Row(QWidget):
    """An editor with its hint and its error under it."""

    def __init__(self, editor: QWidget, hint: str):
        super().__init__()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        line = QHBoxLayout()
        line.setSpacing(8)
        line.addWidget(editor, 1)
        self.note = QLabel(hint)
        self.note.setObjectName("fieldHint")
        self.note.setWordWrap(True)
        self.note.setFixedWidth(230)  # one column: every editor ends at the same place
        line.addWidget(self.note)
        column.addLayout(line)
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        column.addWidget(self.error)
        self.editor = editor

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.editor.setProperty("bad", "true" if text else "false")
        self.editor.style().unpolish(self.editor)
        self.editor.style().polish(self.editor)


class SettingsView(QWidget):
    restart_requested = Signal()
    saved = Signal()

    def __init__(self, model: SettingsModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.setObjectName("settings")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(local(STYLE))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        # The reason Settings opened comes first and stays in view (above the scrolling form, never
        # scrolled away when the form reveals the first bad field); the first-run hint comes after it.
        self.problem = QLabel("")
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_bar = QWidget()
        self.problem_bar.setObjectName("settings")
        self.problem_bar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        bar_row = QVBoxLayout(self.problem_bar)
        bar_row.setContentsMargins(14, 8, 14, 0)
        bar_row.addWidget(self.problem)
        outer.addWidget(self.problem_bar)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("settings")
        self.form_column = QVBoxLayout(body)
        self.form_column.setContentsMargins(14, 8, 14, 8)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.scroll_area = scroll  # not `scroll`: that is QWidget.scroll()

        self.first_run = QLabel(str(FIRST_RUN))
        self.first_run.setObjectName("firstRun")
        self.first_run.setWordWrap(True)
        self.form_column.addWidget(self.first_run)

        self.rows: dict[str, _Row] = {}
        self.editors: dict[str, QWidget] = {}
        self.forms: dict[str, QFormLayout] = {}
        self.boxes: dict[str, QGroupBox] = {}
        self.labels: dict[str, QLabel] = {}
        self.switches: list[QCheckBox] = []
        for section in SECTIONS:
            box = self.boxes[section] = QGroupBox()
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            self.forms[section] = form
            self.form_column.addWidget(box)
            if section == "provider":
                self.credentials = CredentialsBox(model)
                self.form_column.addWidget(self.credentials)
        for field in FIELDS:
            section = field.key.split(".")[0]
            if field.key == "provider.name":
                choice = QComboBox()
                choice.addItems(list(PROVIDERS))
                choice.setCurrentText(model.values[field.key])
                choice.currentTextChanged.connect(self._provider_changed)
                editor: QWidget = choice
            elif is_switch(field.key):  # on/off: the form's text is "true" or "false"
                switch = QCheckBox()
                self.switches.append(switch)
                switch.setChecked(model.values[field.key] == "true")
                switch.toggled.connect(lambda on, key=field.key: self._edited(key, "true" if on else "false"))
                editor = switch
            else:
                line = QLineEdit(model.values[field.key])
                line.textEdited.connect(lambda text, key=field.key: self._edited(key, text))
                editor = line
            editor.setObjectName(field.key.replace(".", "_"))
            row = _Row(editor, "")
            self.rows[field.key] = row
            self.editors[field.key] = editor
            self.labels[field.key] = QLabel()
            self.forms[section].addRow(self.labels[field.key], row)
        self.pin_box = PinBox(model)
        p = self.pin_box  # its widgets, under the names the view has always had
        self.pin_current, self.pin_new, self.pin_repeat, self.pin_button = p.current, p.new, p.repeat, p.button
        self.pin_button.clicked.connect(self.set_pin)
        self.form_column.addWidget(self.pin_box)
        self.form_column.addStretch(1)

        actions = QWidget()
        actions.setObjectName("actions")
        actions.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        bar = QVBoxLayout(actions)
        bar.setContentsMargins(12, 4, 12, 6)
        bar.setSpacing(2)
        self.outcome = QLabel("")
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        self.outcome.hide()
        bar.addWidget(self.outcome)
        buttons = QHBoxLayout()
        self.test_button = QPushButton()
        self.link_button = QPushButton()
        self.sticker_button = QPushButton()
        self.printer: QPrinter | None = None  # the print dialog's printer, kept while it paints
        self.print_dialog: QPrintDialog | None = None
        self.save_button = QPushButton()
        self.save_button.setObjectName("save")
        self.save_button.setShortcut("Ctrl+S")
        self.restart_button = QPushButton()
        for b in (self.test_button, self.link_button, self.sticker_button, self.save_button, self.restart_button):
            buttons.addWidget(b)
        bar.addLayout(buttons)
        outer.addWidget(actions)
        self.test_button.clicked.connect(self.test_connection)
        self.link_button.clicked.connect(self.create_link)
        self.sticker_button.clicked.connect(self._choose_sticker_file)
        self.save_button.clicked.connect(self.save)
        self.restart_button.clicked.connect(self.restart_requested)
        stop = model.on_change(self._busy_changed)
        stop_words = on_language_changed(lambda _language: self.retranslate())  # switched here: at once
        self.destroyed.connect(lambda *_args: (stop(), stop_words()))
        self.retranslate()

    def retranslate(self) -> None:
        """The page's fixed words in the language in force (at start and on a switch, saving here included);
        the model's state is redrawn after them."""
        for section, box in self.boxes.items():
            box.setTitle(SECTIONS[section])
        for field in FIELDS:
            label = str(field.label)
            self.labels[field.key].setText(label)
            self.editors[field.key].setAccessibleName(label)
            self.rows[field.key].note.setText(str(field.hint))
        for switch in self.switches:
            switch.setText(_("On"))
        self.test_button.setText(_("Test connection"))
        self.link_button.setText(_("Create payment link"))
        self.sticker_button.setText(_("Print sticker…"))
        self.save_button.setText(_("Save"))
        self.restart_button.setText(_("Restart now"))
        self.restart_button.setToolTip(_("Close the till and open it again on the saved configuration"))
        describe(
            self.test_button, _("Test connection"), _("Asks the provider whether these settings and credentials work")
        )
        describe(
            self.link_button,
            _("Create payment link"),
            _("Creates the static payment link the counter's sticker shows"),
        )
        describe(self.sticker_button, _("Print sticker"), _("Prints or saves the counter's QR sticker"))
        describe(self.save_button, _("Save settings"), _("Checks and saves the settings (Ctrl+S)"))
        describe(
            self.restart_button, _("Restart now"), _("Closes the till and opens it again on the saved configuration")
        )
        self.credentials.retranslate()
        self.pin_box.retranslate()
        self.refresh()

    # -- the credentials box's widgets (built again when another provider is chosen) ---------------
    @property
    def cred_fields(self) -> dict[str, QLineEdit]:
        return self.credentials.fields

    @property
    def cred_state(self) -> dict[str, QLabel]:
        return self.credentials.states

    @property
    def cred_error(self) -> QLabel:
        return self.credentials.error

    # -- showing the model -------------------------------------------------------------
    def refresh(self) -> None:
        m = self.model
        self.problem.setText(
            _("The configuration cannot be used: {problem}").format(problem=m.problem) if m.problem else ""
        )
        self.problem.setVisible(bool(m.problem))
        self.problem_bar.setVisible(bool(m.problem))
        if not m.pin_configured:
            self.first_run.setText(str(FIRST_RUN))
        elif m.setup_advice:
            self.first_run.setText(m.setup_advice)
        self.first_run.setVisible(not m.pin_configured or bool(m.setup_advice))
        visible = {f.key for f in m.visible_fields()}
        for key, row in self.rows.items():
            section = key.split(".")[0]
            self.forms[section].setRowVisible(row, key in visible)
            editor = self.editors[key]
            if isinstance(editor, QLineEdit) and editor.text() != m.values[key]:
                editor.setText(m.values[key])
            elif isinstance(editor, QCheckBox) and editor.isChecked() != (m.values[key] == "true"):
                editor.setChecked(m.values[key] == "true")
            note = m.length_note(key)
            if note:
                row.note.setText(note)
            row.show_error(m.errors.get(key, ""))
        self.credentials.redraw()
        self.pin_box.redraw()
        if "config" in m.errors and not m.problem:
            self.show_outcome(False, m.errors["config"])
        self._reveal_first_error()
        self.link_button.setVisible(m.can_create_link())
        self.sticker_button.setVisible(m.can_print_sticker())
        for b in (self.test_button, self.link_button, self.sticker_button, self.save_button):
            b.setEnabled(m.busy is None)

    def _reveal_first_error(self) -> None:
        visible = {f.key for f in self.model.visible_fields()}
        first_bad = next((self.rows[k] for k in self.rows if k in self.model.errors and k in visible), None)
        if first_bad is not None:
            self.scroll_area.ensureWidgetVisible(first_bad, 0, 60)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        QTimer.singleShot(0, self._reveal_first_error)  # once laid out

    def show_outcome(self, ok: bool, text: str) -> None:
        self.outcome.setText(text)
        self.outcome.setVisible(bool(text))
        self.outcome.setProperty("ok", "true" if ok else "false")
        self.outcome.style().unpolish(self.outcome)
        self.outcome.style().polish(self.outcome)

    # -- input -------------------------------------------------------------------------
    def _edited(self, key: str, text: str) -> None:
        self.model.set(key, text)
        self.rows[key].show_error("")
        note = self.model.length_note(key)
        if note:
            self.rows[key].note.setText(note)

    def _provider_changed(self, name: str) -> None:
        self.model.set("provider.name", name)
        self.refresh()

    def set_pin(self) -> None:
        self.show_outcome(*self.pin_box.set_pin())
        self.refresh()

    def save(self) -> bool:
        ok = self.model.save()
        if ok:
            self.credentials.clear_typed()
        self.show_outcome(ok, self.model.message)
        self.refresh()
        if ok:
            self.saved.emit()
        return ok

    def _busy_changed(self) -> None:
        """The model's operation started or ended: buttons off while one runs, its words meanwhile."""
        busy = self.model.busy is not None
        for b in (self.test_button, self.link_button, self.sticker_button, self.save_button):
            b.setEnabled(not busy)
        if busy:
            self.show_outcome(True, self.model.message)

    def _finished(self, ok: bool, text: str) -> tuple[bool, str]:
        self.show_outcome(ok, text)
        self.refresh()
        return ok, text

    @asyncSlot()
    async def test_connection(self) -> tuple[bool, str]:
        return self._finished(*await self.model.test_connection())

    @asyncSlot()
    async def create_link(self) -> tuple[bool, str]:
        return self._finished(*await self.model.create_payment_link())

    def _choose_sticker_file(self) -> None:
        """The print dialog (a printer, or "Print to file" for a PDF); the sticker is painted once it is accepted."""
        from PySide6.QtPrintSupport import (
            QPrintDialog,
            QPrinter,
            QPrinterInfo,
        )  # lazy: Qt's printing only when asked for

        printer = self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if not QPrinterInfo.availablePrinters():  # no printer here (a demo, a laptop): a PDF file, as before
            printer.setOutputFileName(str(Path.home() / "tillqr-sticker.pdf"))
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(_("Print the counter sticker"))
        dialog.accepted.connect(lambda: self.print_sticker_on(printer))
        self.print_dialog = dialog
        QDialog.open(dialog)  # not exec(): the loop keeps running (QPrintDialog's own open() wants a slot)

    @asyncSlot()
    async def print_sticker_on(self, printer: QPrinter) -> tuple[bool, str]:
        from app.ui.sticker_render import render_printer  # lazy: Qt painting, only when printing

        where = printer.outputFileName() or printer.printerName() or _("the printer")
        return self._finished(*await self.model.print_sticker_on(lambda s: render_printer(s, printer), where))

    @asyncSlot(str)
    async def print_sticker(self, path: str) -> tuple[bool, str]:
        return self._finished(*await self.model.print_sticker(Path(path), _write_sticker))


def _write_sticker(sticker: Sticker, target: Path) -> list[str]:
    """The sticker painted with Qt to ``target`` (PNG or PDF); the warnings of the painting."""
    from app.ui.sticker_render import render_pdf, render_png  # lazy: Qt painting, only when printing

    if target.suffix.lower() == ".png":
        return list(render_png(sticker, target)[1])
    return list(render_pdf(sticker, target))
