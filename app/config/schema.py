"""What ``config.toml`` holds: the ``Settings`` TillQR runs on and ``SCHEMA``, each section's keys with the
``Settings`` attribute and the TOML type of each (read, written and checked by ``app.config.settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class DisplayMode(str, Enum):
    """[display] mode: where the customer display goes."""

    AUTO = "auto"  # full screen on a second screen when there is one; none otherwise
    WINDOW = "window"  # always: on a second screen when there is one, else a window on the cashier's
    OFF = "off"


@dataclass(frozen=True)
class Settings:
    store_name: str = "TillQR Demo Store"
    store_city: str = "SAO PAULO"
    store_country: str = "BR"
    store_mcc: str = "0000"
    currency: str = "BRL"
    language: str = ""  # [store] language: "pt_BR", "es", "hi", … ("": the system's; app.i18n)
    provider: str = "jpmorgan"
    base_url: str = ""
    payment_link_id: str = ""
    token_url: str = ""  # J.P. Morgan's OAuth2 token endpoint; "": derived from base_url
    pos_external_reference: str = ""
    local_country: str = ""
    pix_account: str = ""
    pix_alias: str = ""
    pix_key: str = ""
    expires_in: int = 300
    poll_interval: float = 1.0
    pin_hash: str = ""
    notify_port: int = 0  # 0: no receiver
    notify_host: str = "127.0.0.1"
    notify_public_url: str = ""
    printer_kind: str = "none"  # none | pdf | escpos | system (app.receipts.printer)
    printer_width_mm: int = 80
    printer_target: str = ""
    kiosk_enabled: bool = False  # [kiosk] enabled: the GUI as with ``tillqr --kiosk``
    sound_on_paid: bool = False  # [sound]: a chime when paid (app.sound)
    sound_on_failure: bool = False  # a buzz when a sale fails or expires
    sound_volume: int = 60  # 0 to 100
    display_mode: str = DisplayMode.AUTO.value  # [display]: a DisplayMode's value (app/ui/customer_display.py)
    display_idle_message: str = ""  # between sales without a static QR ("": a welcome)
    display_result_seconds: int = 5  # how long PAID / EXPIRED … stays on the customer's screen
    high_contrast: bool = False  # [accessibility]: the high-contrast look (resources/style-contrast.qss)
    text_scale: int = 100  # percent of the normal text size, 100 to 200
    backoffice_url: str = ""  # [backoffice] url: the back office this till replicates to ("": none; app.replication)


SCHEMA: dict[str, dict[str, tuple[str, type]]] = {
    "store": {
        "name": ("store_name", str),
        "city": ("store_city", str),
        "country": ("store_country", str),
        "mcc": ("store_mcc", str),
        "currency": ("currency", str),
        "language": ("language", str),
    },
    "provider": {
        "name": ("provider", str),
        "base_url": ("base_url", str),
        "payment_link_id": ("payment_link_id", str),
        "token_url": ("token_url", str),
        "pos_external_reference": ("pos_external_reference", str),
        "local_country": ("local_country", str),
        "pix_account": ("pix_account", str),
        "pix_alias": ("pix_alias", str),
        "pix_key": ("pix_key", str),
    },
    "checkout": {"expires_in": ("expires_in", int), "poll_interval": ("poll_interval", float)},
    "manager": {"pin_hash": ("pin_hash", str)},
    "notifications": {
        "port": ("notify_port", int),
        "host": ("notify_host", str),
        "public_url": ("notify_public_url", str),
    },
    "printer": {
        "kind": ("printer_kind", str),
        "width_mm": ("printer_width_mm", int),
        "target": ("printer_target", str),
    },
    "kiosk": {"enabled": ("kiosk_enabled", bool)},
    "sound": {
        "on_paid": ("sound_on_paid", bool),
        "on_failure": ("sound_on_failure", bool),
        "volume": ("sound_volume", int),
    },
    "display": {
        "mode": ("display_mode", str),
        "idle_message": ("display_idle_message", str),
        "result_seconds": ("display_result_seconds", int),
    },
    "accessibility": {"high_contrast": ("high_contrast", bool), "text_scale": ("text_scale", int)},
    "backoffice": {"url": ("backoffice_url", str)},
}
