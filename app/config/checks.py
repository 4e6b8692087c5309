"""The rules a ``Settings`` must keep before TillQR runs on it or saves it: each error names the key it is about."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from app.config.schema import SCHEMA, DisplayMode, Settings
from app.config.tomlfile import SettingsError
from app.domain.excerpt import excerpt
from app.domain.money import MoneyError, minor_units
from app.i18n import _, format_number, is_language
from app.receipts.printer import target_problem
from app.urlcheck import UnsafeUrl, checked_url


def validate(s: Settings, path: Path) -> None:
    """SettingsError (naming the key) for the first value ``s`` cannot be run with."""
    from app.providers.registry import PROVIDERS  # lazy: the provider registry only when a saved provider is checked

    try:
        minor_units(s.currency)
    except MoneyError as exc:
        raise SettingsError(path, f"store.currency: {exc}") from exc
    if not is_language(s.language):
        raise SettingsError(
            path,
            _("{key} must be a code like pt_BR, es or hi (empty: the system's), not {value}").format(
                key="store.language", value=excerpt(s.language)
            ),
        )
    if not s.store_name.strip() or not s.store_city.strip():
        raise SettingsError(path, _("{name} and {city} must not be empty").format(name="store.name", city="store.city"))
    for section, keys in SCHEMA.items():
        for key, (field, kind) in keys.items():
            value = getattr(s, field)
            if kind is str and any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise SettingsError(
                    path, _("{key} has a control character (typed by mistake?)").format(key=f"{section}.{key}")
                )
    if s.provider not in PROVIDERS:
        raise SettingsError(
            path,
            _("{key} {value} is not one of {choices}").format(
                key="provider.name", value=excerpt(s.provider), choices=", ".join(PROVIDERS)
            ),
        )
    _validate_url(s.base_url, "provider.base_url", path)
    if not (len(s.store_country) == 2 and s.store_country.isascii() and s.store_country.isupper()):
        raise SettingsError(
            path,
            _("{key} must be a two-letter ISO 3166 code like BR, not {value}").format(
                key="store.country", value=excerpt(s.store_country)
            ),
        )
    if not (len(s.store_mcc) == 4 and s.store_mcc.isascii() and s.store_mcc.isdigit()):
        raise SettingsError(
            path,
            _("{key} must be a four-digit merchant category code, not {value}").format(
                key="store.mcc", value=excerpt(s.store_mcc)
            ),
        )
    if s.pin_hash and not s.pin_hash.startswith("scrypt$"):
        raise SettingsError(path, _("{key} is not a PIN hash (set the PIN in Settings)").format(key="manager.pin_hash"))
    if not 30 <= s.expires_in <= 86400:
        raise SettingsError(path, _between("checkout.expires_in", 30, 86400, s.expires_in))
    if not 0.2 <= s.poll_interval <= 30:
        raise SettingsError(path, _between("checkout.poll_interval", Decimal("0.2"), 30, s.poll_interval))
    _validate_notifications(s, path)
    _validate_url(s.token_url, "provider.token_url", path)  # the client secret is sent there
    _validate_url(s.backoffice_url, "backoffice.url", path)  # the device token is sent there
    _validate_printer(s, path)
    _validate_sound(s, path)
    _validate_display(s, path)
    _validate_accessibility(s, path)


def _between(key: str, low: Decimal | int, high: int, value: float | int) -> str:
    """ "checkout.expires_in must be between 30 and 86400 seconds, not 5": the numbers as the store writes them."""
    return _("{key} must be between {low} and {high} seconds, not {value}").format(
        key=key, low=format_number(low), high=format_number(high), value=format_number(Decimal(str(value)))
    )


def _validate_url(url: str, key: str, path: Path) -> None:
    """An optional URL TillQR sends secrets to or names to providers: https, or plain http to this machine only."""
    if url:
        try:
            checked_url(url, key)
        except UnsafeUrl as exc:
            raise SettingsError(path, str(exc)) from None


def _validate_notifications(s: Settings, path: Path) -> None:
    if not 0 <= s.notify_port <= 65535:
        raise SettingsError(
            path,
            _("{key} must be between 0 (off) and 65535, not {value}").format(
                key="notifications.port", value=s.notify_port
            ),
        )
    host = s.notify_host.strip()
    if not host or len(host) > 253 or any(c.isspace() or c in "/@[]" for c in host):
        raise SettingsError(
            path,
            _("{key} must be an address like 127.0.0.1, not {value}").format(
                key="notifications.host", value=excerpt(host)
            ),
        )
    _validate_url(s.notify_public_url, "notifications.public_url", path)


def _validate_printer(s: Settings, path: Path) -> None:
    problem = target_problem(s.printer_kind, s.printer_width_mm, s.printer_target)
    if problem:
        raise SettingsError(path, problem)


def _validate_sound(s: Settings, path: Path) -> None:
    if not 0 <= s.sound_volume <= 100:
        raise SettingsError(
            path,
            _("{key} must be between 0 (silent) and 100, not {value}").format(key="sound.volume", value=s.sound_volume),
        )


def _validate_display(s: Settings, path: Path) -> None:
    modes = [m.value for m in DisplayMode]
    if s.display_mode not in modes:
        raise SettingsError(
            path,
            _("{key} must be one of {choices}, not {value}").format(
                key="display.mode", choices=", ".join(modes), value=excerpt(s.display_mode)
            ),
        )
    if not 1 <= s.display_result_seconds <= 60:
        raise SettingsError(path, _between("display.result_seconds", 1, 60, s.display_result_seconds))
    if len(s.display_idle_message) > 120:
        raise SettingsError(
            path, _("{key} must be {limit} characters at most").format(key="display.idle_message", limit=120)
        )


TEXT_SCALES = (100, 200)  # [accessibility] text_scale: the smallest and largest, in percent


def _validate_accessibility(s: Settings, path: Path) -> None:
    low, high = TEXT_SCALES
    if not low <= s.text_scale <= high:
        raise SettingsError(
            path,
            _("{key} must be between {low} and {high} (percent), not {value}").format(
                key="accessibility.text_scale", low=low, high=high, value=s.text_scale
            ),
        )
