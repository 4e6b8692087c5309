"""Provider credentials, only ever in the OS keyring (service "tillqr").

No plain-text fallback: when no usable keyring backend exists, ``SecretsUnavailable``
says so and nothing is stored. Secret values never appear in messages.
"""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError

SERVICE = "tillqr"


class SecretsUnavailable(Exception):
    pass


def _check_backend() -> None:
    from keyring.backends import fail, null  # lazy: keyring's backends only when a secret is asked for

    backend = keyring.get_keyring()
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        raise SecretsUnavailable(
            "no OS keyring is available (install and unlock one, e.g. GNOME Keyring or KWallet); "
            "credentials are never stored in plain files"
        )


def get_secret(provider: str, name: str) -> str | None:
    _check_backend()
    try:
        return keyring.get_password(SERVICE, f"{provider}:{name}")
    except KeyringError as exc:
        raise SecretsUnavailable(f"the keyring refused to read {provider}:{name} ({type(exc).__name__})") from None


def set_secret(provider: str, name: str, value: str) -> None:
    _check_backend()
    if not value:
        raise ValueError(f"{provider}:{name} must not be empty")
    try:
        keyring.set_password(SERVICE, f"{provider}:{name}", value)
    except KeyringError as exc:
        raise SecretsUnavailable(f"the keyring refused to store {provider}:{name} ({type(exc).__name__})") from None
