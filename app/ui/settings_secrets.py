"""The Settings page's two boxes of secrets, drawn from a SettingsModel: password fields never filled back.

- CredentialsBox: the chosen provider's credentials, one row each with its state beside it ("set",
  "not set", "typed, not saved yet", "keyring unavailable"; never the value) and the section's error
  under them; its rows are built again when another provider is chosen.
- PinBox: the manager PIN, set on first run or changed with the current one (kept with the next Save).

SettingsView (app/ui/settings_view.py) places them, styles them and says their outcomes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.config.pin import PinError
from app.screens.amount_entry import sentence
from app.screens.settings_model import SettingsModel


def _error_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("sectionError")
    label.setWordWrap(True)
    return label


class CredentialsBox(QGroupBox):
    def __init__(self, model: SettingsModel):
        super().__init__("Credentials (stored in the OS keyring only, never shown)")
        self.model = model
        self.rows = QFormLayout(self)
        self.error = _error_label()
        self.fields: dict[str, QLineEdit] = {}
        self.states: dict[str, QLabel] = {}

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
            edit.setPlaceholderText("type to replace" if states.get(name) == "set" else "")
            edit.textEdited.connect(lambda text, n=name: self._edited(n, text))
            state = QLabel(states.get(name, ""))
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
                self.states[name].setText(state)
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
        self.states[name].setText(self.model.credential_state()[name])


class PinBox(QGroupBox):
    def __init__(self, model: SettingsModel):
        super().__init__("Manager PIN")
        self.model = model
        self.rows = QFormLayout(self)
        self.current = QLineEdit()
        self.new = QLineEdit()
        self.repeat = QLineEdit()
        for edit, name in ((self.current, "pin_current"), (self.new, "pin_new"), (self.repeat, "pin_repeat")):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setObjectName(name)
            edit.setMaxLength(8)
        self.current_label = QLabel("Current PIN")
        self.rows.addRow(self.current_label, self.current)
        self.rows.addRow("New PIN (6–8 digits)", self.new)
        self.rows.addRow("New PIN again", self.repeat)
        self.button = QPushButton("Set PIN")
        self.error = _error_label()
        self.rows.addRow(self.button, self.error)

    def set_pin(self) -> tuple[bool, str]:
        """The typed PINs to the model (the fields are cleared either way); (ok, what happened in words)."""
        try:
            text = self.model.set_pin(self.new.text(), self.repeat.text(), self.current.text())
        except PinError as exc:
            self.error.setText(sentence(str(exc)))
            outcome = False, f"PIN not changed: {exc}"
        else:
            self.error.setText("")
            outcome = True, text
        for edit in (self.current, self.new, self.repeat):
            edit.clear()
        return outcome

    def redraw(self) -> None:
        has_gate = self.model.gate.configured
        self.rows.setRowVisible(self.current, has_gate)
        self.button.setText("Change PIN" if has_gate else "Set PIN")
        if "manager.pin_hash" in self.model.errors:
            self.error.setText(self.model.errors["manager.pin_hash"])
        elif self.model.pin_advice and not self.error.text():
            self.error.setText(self.model.pin_advice)
