"""The rules a ``Settings`` must keep before TillQR runs on it or saves it: each error names the key it is about."""

from __future__ import annotations

from pathlib import Path

from app.config.schema import SCHEMA, DisplayMode, Settings
from app.config.tomlfile import SettingsError
from app.domain.excerpt import excerpt
from app.domain.money import MoneyError, minor_units
from app.i18n import is_language
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
            path, f"store.language must be a code like pt_BR, es or hi (empty: the system's), not {excerpt(s.language)}"
        )
    if not s.store_name.strip() or not s.store_city.strip():
        raise SettingsError(path, "store.name and store.city must not be empty")
    for section, keys in SCHEMA.items():
        for key, (field, kind) in keys.items():
            value = getattr(s, field)
            if kind is str and any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise SettingsError(path, f"{section}.{key} has a control character (typed by mistake?)")
    if s.provider not in PROVIDERS:
        raise SettingsError(path, f"provider.name {excerpt(s.provider)} is not one of {', '.join(PROVIDERS)}")
    _validate_url(s.base_url, "provider.base_url", path)
    if not (len(s.store_country) == 2 and s.store_country.isascii() and s.store_country.isupper()):
        raise SettingsError(
            path, f"store.country must be a two-letter ISO 3166 code like BR, not {excerpt(s.store_country)}"
        )
    if not (len(s.store_mcc) == 4 and s.store_mcc.isascii() and s.store_mcc.isdigit()):
        raise SettingsError(path, f"store.mcc must be a four-digit merchant category code, not {excerpt(s.store_mcc)}")
    if s.pin_hash and not s.pin_hash.startswith("scrypt$"):
        raise SettingsError(path, "manager.pin_hash is not a PIN hash (set the PIN in Settings)")
    if not 30 <= s.expires_in <= 86400:
        raise SettingsError(path, f"checkout.expires_in must be between 30 and 86400 seconds, not {s.expires_in}")
    if not 0.2 <= s.poll_interval <= 30:
        raise SettingsError(path, f"checkout.poll_interval must be between 0.2 and 30 seconds, not {s.poll_interval}")
    _validate_notifications(s, path)
    _validate_url(s.token_url, "provider.token_url", path)  # the client secret is sent there
    _validate_printer(s, path)
    _validate_sound(s, path)
    _validate_display(s, path)
    _validate_accessibility(s, path)


def _validate_url(url: str, key: str, path: Path) -> None:
    """An optional URL TillQR sends secrets to or names to providers: https, or plain http to this machine only."""
    if url:
        try:
            checked_url(url, key)
        except UnsafeUrl as exc:
            raise SettingsError(path, str(exc)) from None


def _validate_notifications(s: Settings, path: Path) -> None:
    if not 0 <= s.notify_port <= 65535:
        raise SettingsError(path, f"notifications.port must be between 0 (off) and 65535, not {s.notify_port}")
    host = s.notify_host.strip()
    if not host or len(host) > 253 or any(c.isspace() or c in "/@[]" for c in host):
        raise SettingsError(path, f"notifications.host must be an address like 127.0.0.1, not {excerpt(host)}")
    _validate_url(s.notify_public_url, "notifications.public_url", path)


def _validate_printer(s: Settings, path: Path) -> None:
    problem = target_problem(s.printer_kind, s.printer_width_mm, s.printer_target)
    if problem:
        raise SettingsError(path, problem)


def _validate_sound(s: Settings, path: Path) -> None:
    if not 0 <= s.sound_volume <= 100:
        raise SettingsError(path, f"sound.volume must be between 0 (silent) and 100, not {s.sound_volume}")


def _validate_display(s: Settings, path: Path) -> None:
    modes = [m.value for m in DisplayMode]
    if s.display_mode not in modes:
        raise SettingsError(path, f"display.mode must be one of {', '.join(modes)}, not {excerpt(s.display_mode)}")
    if not 1 <= s.display_result_seconds <= 60:
        raise SettingsError(
            path, f"display.result_seconds must be between 1 and 60 seconds, not {s.display_result_seconds}"
        )
    if len(s.display_idle_message) > 120:
        raise SettingsError(path, "display.idle_message must be 120 characters at most")


TEXT_SCALES = (100, 200)  # [accessibility] text_scale: the smallest and largest, in percent


def _validate_accessibility(s: Settings, path: Path) -> None:
    low, high = TEXT_SCALES
    if not low <= s.text_scale <= high:
        raise SettingsError(
            path, f"accessibility.text_scale must be between {low} and {high} (percent), not {s.text_scale}"
        )
