"""The Settings screen's form, without Qt and without state: which fields it has and where (``FIELDS``
in ``SECTIONS``), how their text is read into a ``Settings`` (``read``: an error per configuration key, for
the view to show next to the field), and what of a broken config.toml can still fill it (``salvage``).

The keys are those of ``app.config.settings`` ("store.name", "provider.base_url", …); the provider's
own settings come from the registry's specs, each shown only for the providers that declare it.
Used by SettingsModel (app/screens/settings_model.py), which re-exports FIELDS, Field and SECTIONS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import settings as settings_mod
from app.config.settings import Settings, SettingsError
from app.i18n import LazyText, LazyWords, _, lazy_, lazy_p
from app.providers.registry import PROVIDERS, SPECS
from app.providers.spec import ProviderSpec


@dataclass(frozen=True)
class Field:
    key: str  # "section.key" as in config.toml
    label: str | LazyText  # shown in the language in force: str() it when drawn
    hint: str | LazyText = ""
    providers: tuple[str, ...] = ()  # shown only for these providers (empty: always)


def _provider_fields(specs: tuple[ProviderSpec, ...]) -> tuple[Field, ...]:
    """The [provider] settings the specs declare (not their secrets), each shown for the providers that have it."""
    fields: dict[str, Field] = {}
    for spec in specs:
        for item in spec.settings:
            key = f"provider.{item.key}"
            known = fields.get(key)
            owners = (known.providers if known else ()) + (spec.name,)
            fields[key] = Field(key, item.label, item.help, owners)
    return tuple(fields.values())


FIELDS: tuple[Field, ...] = (
    Field("store.name", lazy_("Store name"), lazy_("as printed on the QR (25 characters at most)")),
    Field("store.city", lazy_("City"), lazy_("as on the QR (15 characters at most)")),
    Field("store.country", lazy_("Country"), lazy_("two letters, e.g. BR, IN, SG")),
    Field("store.currency", lazy_("Currency"), lazy_("ISO 4217, e.g. BRL, INR")),
    Field("store.mcc", lazy_("Merchant category (MCC)"), lazy_("four digits, 0000 if unknown")),
    Field(
        "store.language",
        lazy_("Language"),
        lazy_("pt_BR, es, hi, en… for words, amounts and dates (empty: the system's)"),
    ),
    Field("provider.name", lazy_("Provider"), " / ".join(PROVIDERS)),
    Field("provider.base_url", lazy_("Base URL"), lazy_("https://… (http only for a local sandbox)")),
    *_provider_fields(SPECS),
    Field("checkout.expires_in", lazy_("Request lifetime (s)"), lazy_("30 to 86400")),
    Field("checkout.poll_interval", lazy_("Status poll interval (s)"), lazy_("0.2 to 30")),
    Field("notifications.port", lazy_("Receiver port"), lazy_("0 = off; providers' notifications wake a sale at once")),
    Field("notifications.host", lazy_("Receiver address"), lazy_("127.0.0.1, or 0.0.0.0 behind the shop's proxy")),
    Field(
        "notifications.public_url",
        lazy_("Public URL"),
        lazy_("https://… where providers reach the receiver (optional)"),
    ),
    Field("printer.kind", lazy_("Receipt printer"), lazy_("none / pdf / escpos (thermal) / system")),
    Field("printer.width_mm", lazy_("Paper width (mm)"), lazy_("58 or 80")),
    Field(
        "printer.target",
        lazy_("Printer"),
        lazy_("escpos: /dev/usb/lp0 or host:9100; system: printer name; pdf: a folder"),
    ),
    Field("kiosk.enabled", lazy_("Kiosk mode"), lazy_("full screen from the next start; the manager's PIN to leave")),
    Field("sound.on_paid", lazy_("Sound when paid"), lazy_("a short chime when the customer has paid")),
    Field("sound.on_failure", lazy_("Sound on failure"), lazy_("a low buzz when a sale fails or expires")),
    Field("sound.volume", lazy_("Volume"), lazy_("0 (silent) to 100")),
    Field(
        "display.mode", lazy_("Customer display"), lazy_("auto (on a second screen when there is one) / window / off")
    ),
    Field(
        "display.idle_message",
        lazy_("Message between sales"),
        lazy_("shown when there is no sticker's QR (empty: Welcome)"),
    ),
    Field("display.result_seconds", lazy_("Result shown for (s)"), lazy_("how long PAID or EXPIRED stays up: 1 to 60")),
    Field(
        "accessibility.high_contrast",
        lazy_("High contrast"),
        lazy_("white on black, thick outlines; from the next start"),
    ),
    Field("accessibility.text_scale", lazy_("Text size (%)"), lazy_("100 to 200; from the next start")),
)
SECTIONS: LazyWords[str] = LazyWords(
    {
        "store": lazy_p("settings section", "Store"),
        "provider": lazy_p("settings section", "Provider"),
        "checkout": lazy_p("settings section", "Checkout"),
        "notifications": lazy_p("settings section", "Notifications"),
        "printer": lazy_p("settings section", "Receipts"),
        "kiosk": lazy_p("settings section", "Kiosk"),
        "sound": lazy_p("settings section", "Sound"),
        "display": lazy_p("settings section", "Customer display"),
        "accessibility": lazy_p("settings section", "Accessibility"),
    }
)
NAME_LIMITS = {"store.name": 25, "store.city": 15}
ATTR = {
    f"{section}.{key}": field for section, keys in settings_mod._SCHEMA.items() for key, (field, _kind) in keys.items()
}
_KIND = {
    f"{section}.{key}": kind for section, keys in settings_mod._SCHEMA.items() for key, (_field, kind) in keys.items()
}
PIN_KEY = "manager.pin_hash"  # not a field: set through the PIN box, kept as its hash
_YES, _NO = frozenset({"true", "yes", "on", "1"}), frozenset({"false", "no", "off", "0", ""})


def is_switch(key: str) -> bool:
    """Whether the setting ``key`` is on/off (its form text is "true" or "false": a check box in the view)."""
    return _KIND.get(key) is bool


def initial_values(current: Settings | None) -> dict[str, str]:
    """The form's text per key for ``current`` (None: the defaults)."""
    return {key: text_of(getattr(current or Settings(), attr)) for key, attr in ATTR.items() if key != PIN_KEY}


def length_note(key: str, text: str) -> str:
    """The count beside a name the QR limits, "12/25" ("… — too long for the QR" past it); "" for other keys."""
    limit = NAME_LIMITS.get(key)
    if not limit:
        return ""
    n = len(text)
    if n > limit:
        return _("{n}/{limit} — too long for the QR").format(n=n, limit=limit)
    return f"{n}/{limit}"


def read(values: dict[str, str], pin_hash: str, config_file: Path) -> tuple[Settings | None, dict[str, str]]:
    """The form as Settings, or None with the errors (key → message)."""
    errors: dict[str, str] = {}
    data: dict[str, dict[str, Any]] = {}
    for key, text in values.items():
        section, name = key.split(".")
        kind = _KIND[key]
        value: Any = text.strip()
        if kind is int:
            try:
                value = int(value)
            except ValueError:
                errors[key] = _("{key} must be a whole number, not {value}").format(key=key, value=repr(text))
                continue
        elif kind is float:
            try:
                value = float(value.replace(",", "."))
            except ValueError:
                errors[key] = _("{key} must be a number, not {value}").format(key=key, value=repr(text))
                continue
        elif kind is bool:
            if value.lower() not in _YES | _NO:
                errors[key] = _("{key} must be true or false, not {value}").format(key=key, value=repr(text))
                continue
            value = value.lower() in _YES
        data.setdefault(section, {})[name] = value
    for key, limit in NAME_LIMITS.items():
        if len(values[key].strip()) > limit:
            errors[key] = _("{key} must be {limit} characters at most (the QR's limit), not {n}").format(
                key=key, limit=limit, n=len(values[key].strip())
            )
    if errors:
        return None, errors
    data["manager"] = {"pin_hash": pin_hash}
    try:
        return settings_mod.parse(data, config_file), {}
    except SettingsError as exc:
        return None, errors_of(exc)


def salvage(config_file: Path, keys: set[str]) -> tuple[dict[str, str], str | None]:
    """Whatever values of a broken file are readable (so fixing is one edit): the text of those of ``keys``
    it has, and its PIN hash when it holds a well-formed one."""
    values: dict[str, str] = {}
    pin_hash: str | None = None
    try:
        data = settings_mod.read_toml(config_file) or {}
    except SettingsError:
        return values, pin_hash
    for section, content in data.items():
        if not isinstance(content, dict):
            continue
        for name, value in content.items():
            key = f"{section}.{name}"
            if key in keys and isinstance(value, (str, int, float)) and (is_switch(key) or not isinstance(value, bool)):
                values[key] = text_of(value)
            elif key == PIN_KEY and isinstance(value, str) and value.startswith("scrypt$"):
                pin_hash = value
    return values, pin_hash


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def errors_of(exc: SettingsError) -> dict[str, str]:
    """key → message for a SettingsError (the first "section.key" its message names; else "config")."""
    text = str(exc)
    message = text.split(": ", 1)[1] if ": " in text else text
    named = sorted((k for k in list(ATTR) if k in message), key=message.index)
    return {(named[0] if named else "config"): message}


__all__ = [
    "FIELDS",
    "NAME_LIMITS",
    "SECTIONS",
    "Field",
    "errors_of",
    "initial_values",
    "is_switch",
    "length_note",
    "read",
    "salvage",
]
