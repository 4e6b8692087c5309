"""The Settings page's two boxes of secrets, drawn from a SettingsModel: password fields never filled back.

- CredentialsBox: the chosen provider's credentials, one row each with its state beside it (set, not set,
  typed, not saved yet, keyring unavailable: ``CREDENTIAL_WORDS``; never the value) and the section's error
  under them; its rows are built again when another provider is chosen.
- PinBox: the manager PIN, set on first run or changed with the current one (kept with the next Save).

SettingsView (app/ui/settings_view.py) places them, styles them and says their outcomes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.config.pin import PinError
from app.i18n import _
from app.screens.amount_entry import sentence
from app.screens.settings_model import SettingsModel
from app.screens.settings_words import CREDENTIAL_WORDS, CredentialState


def _error_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("sectionError")
    label.setWordWrap(True)
    return label


class CredentialsBox(QGroupBox):
    def __init__(self, model: SettingsModel):
        super().__init__()
        self.model = model
        self.rows = QFormLayout(self)
        self.error = _error_label()
        self.fields: dict[str, QLineEdit] = {}
        self.states: dict[str, QLabel] = {}
        self.retranslate()

    def retranslate(self) -> None:
        """Its words in the language in force (at start and on a switch); the rows' states are redrawn."""
        self.setTitle(_("Credentials (stored in the OS keyring only, never shown)"))
        for name, state in (self.model.credential_state() if self.states else {}).items():
            if name in self.states:
                self.states[name].setText(CREDENTIAL_WORDS[state])
            if name in self.fields:
                self.fields[name].setPlaceholderText(_("type to replace") if state is CredentialState.SET else "")

    def fill(self) -> None:
        """One row per credential of the chosen provider (the previous provider's rows go)."""
        while self.rows.rowCount():
            self.rows.removeRow(0)
        self.fields, self.states = {}, {}
        states = self.model.credential_state()
        for name in self.model.credential_keys():
            edit = QLineEdit()
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setObjectName(f"credential_{name}")
            edit.setAccessibleName(name)
            edit.setPlaceholderText(_("type to replace") if states.get(name) is CredentialState.SET else "")
            edit.textEdited.connect(lambda text, n=name: self._edited(n, text))
            state = QLabel(CREDENTIAL_WORDS[states[name]] if name in states else "")
            state.setObjectName("fieldHint")
            state.setFixedWidth(230)
            line = QWidget()
            row = QHBoxLayout(line)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(edit, 1)
            row.addWidget(state)
            self.rows.addRow(name, line)
            self.fields[name], self.states[name] = edit, state
        self.error = _error_label()
        self.rows.addRow(self.error)

    def redraw(self) -> None:
        m = self.model
        if set(self.fields) != set(m.credential_keys()):
            self.fill()
        else:
            for name, state in m.credential_state().items():
                self.states[name].setText(CREDENTIAL_WORDS[state])
        self.error.setText(m.errors.get("credentials", ""))
        self.error.setVisible(bool(self.error.text()))

    def clear_typed(self) -> None:
        """Saved: what was typed leaves the screen."""
        for edit in self.fields.values():
            edit.clear()

    def _edited(self, name: str, text: str) -> None:
        try:
            self.model.set_credential(name, text)
        except ValueError as exc:  # pasted with accents or control characters: said, not stored
            self.states[name].setText(sentence(str(exc)))
            return
        self.model.errors.pop("credentials", None)
        self.states[name].setText(CREDENTIAL_WORDS[self.model.credential_state()[name]])


class PinBox(QGroupBox):
    def __init__(self, model: SettingsModel):
        super().__init__()
        self.model = model
        self.rows = QFormLayout(self)
        self.current = QLineEdit()
        self.new = QLineEdit()
        self.repeat = QLineEdit()
        for edit, name in ((self.current, "pin_current"), (self.new, "pin_new"), (self.repeat, "pin_repeat")):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setObjectName(name)
            edit.setMaxLength(8)
        self.current_label = QLabel()
        self.new_label = QLabel()
        self.repeat_label = QLabel()
        self.rows.addRow(self.current_label, self.current)
        self.rows.addRow(self.new_label, self.new)
        self.rows.addRow(self.repeat_label, self.repeat)
        self.button = QPushButton()
        self.error = _error_label()
        self.rows.addRow(self.button, self.error)
        self.retranslate()

    def retranslate(self) -> None:
        """Its words in the language in force (at start and on a switch)."""
        self.setTitle(_("Manager PIN"))
        self.current_label.setText(_("Current PIN"))
        self.new_label.setText(_("New PIN (6–8 digits)"))
        self.repeat_label.setText(_("New PIN again"))
        self.redraw()

    def set_pin(self) -> tuple[bool, str]:
        """The typed PINs to the model (the fields are cleared either way); (ok, what happened in words)."""
        try:
            text = self.model.set_pin(self.new.text(), self.repeat.text(), self.current.text())
        except PinError as exc:
            self.error.setText(sentence(str(exc)))
            outcome = False, _("PIN not changed: {reason}").format(reason=exc)
        else:
            self.error.setText("")
            outcome = True, text
        for edit in (self.current, self.new, self.repeat):
            edit.clear()
        return outcome

    def redraw(self) -> None:
        has_gate = self.model.gate.configured
        self.rows.setRowVisible(self.current, has_gate)
        self.button.setText(_("Change PIN") if has_gate else _("Set PIN"))
        if "manager.pin_hash" in self.model.errors:
            self.error.setText(self.model.errors["manager.pin_hash"])
        elif self.model.pin_advice and not self.error.text():
            self.error.setText(self.model.pin_advice)
