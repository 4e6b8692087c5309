"""The Settings screen's fixed words and small tables, apart from its model (app/screens/settings_model.py).

Every text here is looked up when it is shown (``lazy_``), so a language switch made on the Settings page
itself reads at once. Config keys and credential names are never translated: they are quoted in the sentence.
"""

from __future__ import annotations

from enum import StrEnum

from app.i18n import LazyWords, _, lazy_
from app.screens.operations import Words

WORKING = lazy_("Working…")
TEST = Words(lazy_("Cannot test"))
LINK = Words(lazy_("The link was not created"))
STICKER = Words(lazy_("No sticker"), expected=(ValueError,))


class CredentialState(StrEnum):
    """What the screen knows of a credential (never its value); shown through ``CREDENTIAL_WORDS``."""

    TYPED = "typed, not saved yet"
    SET = "set"
    NOT_SET = "not set"
    UNAVAILABLE = "keyring unavailable"


CREDENTIAL_WORDS: LazyWords[CredentialState] = LazyWords(
    {
        CredentialState.TYPED: lazy_("typed, not saved yet"),
        CredentialState.SET: lazy_("set"),
        CredentialState.NOT_SET: lazy_("not set"),
        CredentialState.UNAVAILABLE: lazy_("keyring unavailable"),
    }
)

# The sticker's own languages by the store's country (app.qr.sticker): the words printed for the customer.
COUNTRY_LANG = {
    "BR": "pt",
    "PT": "pt",
    "AR": "es",
    "ES": "es",
    "MX": "es",
    "CL": "es",
    "CO": "es",
    "PE": "es",
    "UY": "es",
    "FR": "fr",
    "DE": "de",
    "AT": "de",
    "MY": "ms",
    "HK": "zh-hk/en",
    "CN": "zh",
    "IN": "en/hi",
}


def setup_advice(names: list[str]) -> str:
    """What the saved setup still lacks, by the fields' names (at least one)."""
    return _(
        "Setup is unfinished: {fields} still to fill in and save. Until then the till runs in demo mode "
        "(simulated sales, its own demo journal)."
    ).format(fields=", ".join(names))


PIN_ADVICE = lazy_(
    "This manager PIN was set under older rules (4 digits were allowed, and it is not tied to this "
    "machine's keyring): change it to one of 6 to 8 digits."
)


def pin_ready(peppered: bool) -> str:
    """The words once a new PIN is set (``peppered``: tied to this machine's keyring)."""
    if peppered:
        return _("New manager PIN ready: press Save to keep it")
    return _(
        "New manager PIN ready: press Save to keep it (no keyring that keeps secrets here: the PIN is not tied "
        'to this machine\'s keyring; see README, "Credentials on a kiosk")'
    )


def saved(aside: object | None) -> str:
    """The words once the settings are saved; ``aside``: where an unusable file was kept."""
    if aside:
        return _(
            "Saved. Restart TillQR (Restart now) to use the new configuration. The file that could not be used "
            "was kept as {path}."
        ).format(path=aside)
    return _("Saved. Restart TillQR (Restart now) to use the new configuration.")


def sticker_done(sent: bool, where: object, warnings: list[str]) -> str:
    """ "Sticker sent to <printer>" / "Sticker written to <file>", its painting's warnings after it."""
    text = (_("Sticker sent to {printer}") if sent else _("Sticker written to {path}")).format(
        printer=where, path=where
    )
    return _("{done} ({warnings})").format(done=text, warnings="; ".join(warnings)) if warnings else text


__all__ = [
    "COUNTRY_LANG",
    "CREDENTIAL_WORDS",
    "LINK",
    "PIN_ADVICE",
    "STICKER",
    "TEST",
    "WORKING",
    "CredentialState",
    "pin_ready",
    "saved",
    "setup_advice",
    "sticker_done",
]
