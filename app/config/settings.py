"""Settings: one TOML file (``config.toml`` under the config folder), validated on load.

Its shape (``Settings``, the sections' keys) is ``app.config.schema``'s, its rules ``app.config.checks``', the
reading of the file ``app.config.tomlfile``'s; this module reads, writes and re-exports them.

Secrets are never here: they live in the OS keyring (``app.config.secrets``).
A missing file means "not configured" (demo mode); a broken one raises
``SettingsError`` naming the file and the bad key, never a traceback.

    [store]
    name = "Padaria Central"     # ≤ 25 characters on the QR
    city = "SAO PAULO"           # ≤ 15 characters on the QR
    currency = "BRL"
    language = "pt_BR"           # words and formats (app.i18n); "": the system's (LANGUAGE, LC_ALL, LANG)

    [provider]
    name = "jpmorgan"
    base_url = "https://api.payments.jpmorgan.com"
    payment_link_id = "…"        # the static link printed at the counter
    token_url = ""               # J.P. Morgan: OAuth2 token endpoint ("": derived from base_url)

    pos_external_reference = ""  # Depay: this till's POS id
    local_country = ""           # Depay: the merchant's country (AR, BR, …)
    pix_account = ""             # Pix: account, alias and key of the receiving account
    pix_alias = ""
    pix_key = ""

    [checkout]
    expires_in = 300             # seconds a request stays payable
    poll_interval = 1.0          # seconds between status polls

    [manager]
    pin_hash = "scrypt$…"        # the manager PIN, as a slow salted hash (app.config.pin), never the PIN

    [notifications]              # providers' signed notifications (app.notifications), received by the GUI
    port = 0                     # 0: off (a kiosk behind NAT receives none; polling always runs)
    host = "127.0.0.1"           # where the receiver listens (0.0.0.0 behind the shop's reverse proxy)
    public_url = ""              # how providers reach it, e.g. https://shop.example/notifications

    [printer]                    # receipts and the end-of-shift report (app.receipts.printer)
    kind = "none"                # none | pdf | escpos | system
    width_mm = 80                # 58 or 80: the paper roll
    target = ""                  # escpos: /dev/usb/lp0 or host:port; system: a printer's name; pdf: a folder
    [kiosk]
    enabled = false              # true: full screen, frameless, the manager's PIN to leave (as tillqr --kiosk)

    [sound]                      # short sounds at the counter (app.sound: the machine's own player)
    on_paid = false              # a chime when a sale is paid
    on_failure = false           # a low buzz when a sale fails or expires
    volume = 60                  # 0 to 100

    [display]                    # the customer's own screen (app/ui/customer_display.py)
    mode = "auto"                # auto: on a second screen when there is one | window: always | off
    idle_message = ""            # shown between sales when there is no static sticker's QR ("": Welcome)
    result_seconds = 5           # how long PAID / EXPIRED / CANCELLED stays up (1 to 60)
    [accessibility]              # applied at start (app.ui.qss, app.ui.fonts)
    high_contrast = false        # true: white on black, thick outlines, a yellow focus frame
    text_scale = 100             # percent of the normal text size, 100 to 200
"""

from __future__ import annotations

import json
import os
import re
import time
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.config.checks import validate as _validate
from app.config.schema import SCHEMA as _SCHEMA
from app.config.schema import DisplayMode as DisplayMode
from app.config.schema import Settings as Settings
from app.config.tomlfile import MAX_CONFIG_BYTES as MAX_CONFIG_BYTES
from app.config.tomlfile import SettingsError as SettingsError
from app.config.tomlfile import read_toml as read_toml
from app.domain.excerpt import excerpt
from app.i18n import LazyWords, _, lazy_


@dataclass(frozen=True)
class MissingSetting:
    """One setting a store still lacks before its provider can be used (``missing_setup``)."""

    key: str  # "provider.base_url": what the manager's Settings screen names
    words: str  # "the provider's address": what anyone else reads


# How a missing [provider] setting reads for someone who never saw config.toml (by Settings attribute);
# a setting not listed here is called by its Settings screen label.
SETUP_WORDS: LazyWords[str] = LazyWords(
    {
        "base_url": lazy_("the provider's address"),
        "payment_link_id": lazy_("the payment link"),
        "pos_external_reference": lazy_("this till's POS reference"),
        "local_country": lazy_("the merchant's country"),
        "pix_account": lazy_("the Pix account"),
        "pix_alias": lazy_("the Pix alias"),
        "pix_key": lazy_("the Pix key"),
    }
)


def missing_setup(s: Settings) -> list[MissingSetting]:
    """What the store's provider still needs in config.toml before a real till can run: its address and
    the settings its spec marks required (credentials are not looked at: they live in the keyring).
    Empty: the store is configured. A store with something missing runs in demo mode until setup ends."""
    from app.providers.registry import BY_NAME  # lazy: the registry only when a saved provider is checked

    missing: list[MissingSetting] = []
    if not s.base_url.strip():
        missing.append(MissingSetting("provider.base_url", SETUP_WORDS["base_url"]))
    spec = BY_NAME.get(s.provider)
    for item in spec.settings if spec else ():
        value = getattr(s, item.key, "")
        if item.required and isinstance(value, str) and not value.strip():
            label = str(item.label)
            words = SETUP_WORDS.get(item.key) or _("the {setting}").format(setting=label[:1].lower() + label[1:])
            missing.append(MissingSetting(f"provider.{item.key}", words))
    return missing


def is_configured(s: Settings | None) -> bool:
    """A store is configured once its provider and that provider's required settings are saved."""
    return s is not None and not missing_setup(s)


def unfinished_text(missing: list[MissingSetting] | tuple[MissingSetting, ...]) -> str:
    """What is missing, in words: "setup is unfinished: the provider's address and the payment link" ("" when
    nothing is)."""
    words = [m.words for m in missing]
    if not words:
        return ""
    listed = (
        words[0] if len(words) == 1 else _("{items} and {last}").format(items=", ".join(words[:-1]), last=words[-1])
    )
    return _("setup is unfinished: {missing}").format(missing=listed)


def load(path: Path) -> Settings | None:
    """The settings in ``path``; None when there is no file; SettingsError when it cannot be used."""
    data = read_toml(path)
    return None if data is None else parse(data, path)


# Sections of config.toml that other modules read: [tariffs.*] (app.fieldwork.tariff_config). Settings
# leave them alone when reading and keep their text as it was when saving.
READ_ELSEWHERE = frozenset({"tariffs"})
_TABLE_HEADER = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_-]+)[^\]]*\]\]?\s*(#.*)?")


def parse(data: dict[str, Any], path: Path) -> Settings:
    values: dict[str, Any] = {}
    for section, content in data.items():
        if section in READ_ELSEWHERE:
            continue
        if section not in _SCHEMA:
            raise SettingsError(
                path,
                _("unknown section [{section}] (known: {known})").format(
                    section=excerpt(section, bare=True), known=", ".join(_SCHEMA)
                ),
            )
        if not isinstance(content, dict):
            raise SettingsError(path, _("[{section}] must be a table").format(section=section))
        for key, value in content.items():
            if key not in _SCHEMA[section]:
                raise SettingsError(path, _("unknown key {key}").format(key=f"{section}.{excerpt(key, bare=True)}"))
            field, kind = _SCHEMA[section][key]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                try:
                    value = float(value)
                except OverflowError:
                    raise SettingsError(
                        path, _("{key} is far too large a number").format(key=f"{section}.{key}")
                    ) from None
            if not _is_kind(value, kind):
                raise SettingsError(
                    path,
                    _("{key} must be {kind}, not {value}").format(
                        key=f"{section}.{key}", kind=_KINDS[kind], value=_what(value)
                    ),
                )
            values[field] = value
    settings = Settings(**values)
    _validate(settings, path)
    return settings


_KINDS: LazyWords[type] = LazyWords(
    {str: lazy_("text in quotes"), int: lazy_("a whole number"), float: lazy_("a number"), bool: lazy_("true or false")}
)


def _is_kind(value: object, kind: type) -> bool:
    """Whether a TOML value is of a schema kind (a bool is no number, though Python says it is an int)."""
    return isinstance(value, bool) if kind is bool else isinstance(value, kind) and not isinstance(value, bool)


def _what(value: object) -> str:
    """A TOML value, described for a message: what it is and a short excerpt of it."""
    if isinstance(value, bool):
        return _("{value} (yes/no)").format(value="true" if value else "false")
    if isinstance(value, dict):
        return _("a table")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, str):
        return _("{value} (text)").format(value=excerpt(value))
    if isinstance(value, (int, float)):
        return _("{value} (a number)").format(value=excerpt(value))
    return _("{value} (a date or time)").format(value=excerpt(value))


def dumps(settings: Settings) -> str:
    """The TOML text of ``settings`` (every key of the schema, in its section)."""
    out: list[str] = []
    for section, keys in _SCHEMA.items():
        out.append(f"[{section}]")
        for key, (field, kind) in keys.items():
            value = getattr(settings, field)
            text = _toml_value(value, kind)
            out.append(f"{key} = {text}")
        out.append("")
    return "\n".join(out)


def _toml_value(value: object, kind: type) -> str:
    if kind is bool:
        return "true" if value else "false"
    return _toml_string(str(value)) if kind is str else repr(value)


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes, plus DEL, which TOML forbids raw."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def save(settings: Settings, path: Path) -> Path | None:
    """Validate, write atomically (temporary file, fsync, rename; readable by this user only), and only
    after reading the text back to the same settings: a save never leaves a file TillQR cannot read.
    A file there that could not be used is not lost: it is moved aside as it was, and that path returned."""
    _validate(settings, path)
    kept = _kept_sections(path)
    text = dumps(settings) + kept
    if parse(tomllib.loads(text), path) != settings:
        raise SettingsError(path, _("the settings would not read back as saved; nothing was written"))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    aside = _set_aside_if_unusable(path)
    os.replace(tmp, path)
    return aside


def _set_aside_if_unusable(path: Path) -> Path | None:
    """Move ``path`` aside, untouched, when it is there and cannot be used as settings; its new path."""
    try:
        load(path)
        return None
    except SettingsError:
        pass
    aside = path.with_name(f"{path.name}.unusable-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while aside.exists() or aside.is_symlink():
        n += 1
        aside = aside.with_name(f"{path.name}.unusable-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    os.replace(path, aside)
    return aside


def _elsewhere(text: str) -> dict[str, Any]:
    return {k: v for k, v in tomllib.loads(text, parse_float=Decimal).items() if k in READ_ELSEWHERE}


def _kept_sections(path: Path) -> str:
    """The text of the file's sections other modules read (``READ_ELSEWHERE``), verbatim, to write back after
    the settings; SettingsError when they cannot be cut out whole (nothing is then written)."""
    try:
        data = read_toml(path, parse_float=Decimal)
        old = path.read_text(encoding="utf-8") if data else ""
    except (SettingsError, OSError, UnicodeDecodeError):
        return ""  # nothing readable to keep: a broken file is replaced (``save`` keeps a copy of it aside)
    before = {k: v for k, v in (data or {}).items() if k in READ_ELSEWHERE}
    if not before:
        return ""
    kept: list[str] = []
    keeping = False
    for line in old.splitlines():
        header = _TABLE_HEADER.fullmatch(line)
        if header:
            keeping = header.group(1) in READ_ELSEWHERE
        if keeping:
            kept.append(line)
    text = "\n".join(kept) + "\n"
    try:
        same = _elsewhere(text) == before
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise SettingsError(
            path, _("its {tables} tables could not be kept as they are; nothing was written").format(tables="[tariffs]")
        )
    return text
