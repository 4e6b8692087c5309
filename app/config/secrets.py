"""Provider credentials, only ever in a keyring (service "tillqr"); the one module that talks to ``keyring``.

Which keyring (``TILLQR_KEYRING``):

- ``cryptfile``: TillQR's encrypted file keyring (``app.config.keyring_file``: ``keyring.cfg`` in the
  config folder, unlocked by a password the manager gives), whatever else the machine has;
- ``system``: the one ``keyring`` picks (the Secret Service of a desktop session, KWallet, macOS's
  Keychain, Windows' Credential Locker), even when it keeps nothing;
- unset (``auto``): the system's, unless it is one that keeps nothing (no desktop session: keyring's
  ``fail``/``null`` backends or a chainer of none) and an unlock password is given, then the encrypted file.

No plain-text fallback: a credential is stored only where it outlives a restart (``set_secret`` refuses
otherwise, ``SecretsNotKept``, saying what to set up), so a till never runs on credentials it will have
lost at the next power cut. ``backend_info`` says which backend is in force and whether it keeps secrets
(``tillqr self-test`` prints it). Secret values never appear in messages.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from app.config.paths import paths
from app.i18n import _, lazy_

if TYPE_CHECKING:
    from app.config.keyring_file import TillFileKeyring  # lazy: type only

SERVICE = "tillqr"
BACKEND_ENV = "TILLQR_KEYRING"
HOW_TO = lazy_(
    "set up a keyring that keeps them: the encrypted file keyring (TILLQR_KEYRING=cryptfile and an unlock "
    'password) on a kiosk, or a desktop keyring (Secret Service); see README, "Credentials on a kiosk"'
)


class KeyringChoice(StrEnum):
    AUTO = "auto"
    SYSTEM = "system"
    CRYPTFILE = "cryptfile"


class SecretsUnavailable(Exception):
    pass


class SecretsNotKept(SecretsUnavailable):
    """The keyring in force would lose a credential at the next restart: nothing was stored."""


@dataclass(frozen=True)
class BackendInfo:
    name: str  # what the backend is, for the manager and the log (never a secret)
    keeps_secrets: bool  # across a restart of TillQR (and of the machine)


def choice() -> KeyringChoice:
    word = os.environ.get(BACKEND_ENV, "").strip().lower() or KeyringChoice.AUTO.value
    try:
        return KeyringChoice(word)
    except ValueError:
        raise SecretsUnavailable(
            _("{variable} must be one of {choices}, not {value}").format(
                variable=BACKEND_ENV, choices=", ".join(c.value for c in KeyringChoice), value=repr(word[:20])
            )
        ) from None


def keeps_secrets(backend: KeyringBackend) -> bool:
    """Whether what ``backend`` stores is still there after a restart. A backend may say so itself with a
    ``persists`` attribute (tests' stand-ins); keyring's fail and null backends, and a chainer of backends
    that keep nothing, keep nothing; the desktop and OS keyrings and the encrypted file do; any other backend
    someone installed on purpose is taken to."""
    said = getattr(backend, "persists", None)
    if isinstance(said, bool):
        return said
    from keyring.backends import chainer, fail, null  # lazy: keyring's backends only when a secret is asked for

    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(keeps_secrets(b) for b in backend.backends)
    return True


def _describe(backend: KeyringBackend) -> str:
    from keyring.backends import chainer  # lazy: keyring's backends only when a secret is asked for

    path = getattr(backend, "file_path", None)
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    if isinstance(path, str):
        return _("encrypted file keyring {path}").format(path=path)
    if isinstance(backend, chainer.ChainerBackend):
        chained = [_describe(b) for b in backend.backends]
        return f"{name} of {', '.join(chained) if chained else 'no backend'}"
    return name


_files: dict[tuple[str, str], TillFileKeyring] = {}  # (path, digest of the password) -> the unlocked keyring


def _file_keyring() -> TillFileKeyring:
    from app.config import keyring_file  # lazy: pycryptodome and argon2 only when the encrypted file is used

    path = paths().ensure().config_dir / keyring_file.FILE_NAME
    password = keyring_file.unlock_password()
    if password is None:
        raise SecretsUnavailable(keyring_file.missing_password())
    key = (str(path), hashlib.sha256(password.encode()).hexdigest())
    if key not in _files:
        try:
            _files[key] = keyring_file.TillFileKeyring.open(path, password)
        except (OSError, ValueError) as exc:
            raise SecretsUnavailable(str(exc)) from None
    return _files[key]


def _not_a_library_file_keyring(ring: KeyringBackend) -> bool:
    """keyrings.cryptfile hands keyring its own file keyrings as candidates (one of them plain text, all asking
    for a password on a terminal, which a kiosk has not): TillQR never lets keyring pick or chain them; its
    encrypted file is opened here, with its password (``TILLQR_KEYRING``)."""
    return not type(ring).__module__.startswith("keyrings.cryptfile")


def _system() -> KeyringBackend:
    """keyring's choice, without the library's file keyrings."""
    from keyring.backends import chainer  # lazy: keyring's backends only when a secret is asked for

    def clean(ring: KeyringBackend) -> bool:
        inner = ring.backends if isinstance(ring, chainer.ChainerBackend) else []
        return _not_a_library_file_keyring(ring) and all(map(_not_a_library_file_keyring, inner))

    found = keyring.get_keyring()
    if not clean(found):  # chosen by keyring before TillQR asked (or named in PYTHON_KEYRING_BACKEND)
        keyring.core.init_backend(_not_a_library_file_keyring)  # also keeps a chainer from chaining them
        found = keyring.get_keyring()
        if not clean(found):
            raise SecretsUnavailable(
                _("keyring was told to use {backend}; {how_to}").format(backend=_describe(found), how_to=HOW_TO)
            )
    return found


def backend() -> KeyringBackend:
    """The keyring in force (see the module's text); SecretsUnavailable when the chosen one cannot be opened."""
    chosen = choice()
    if chosen is KeyringChoice.CRYPTFILE:
        return _file_keyring()
    system = _system()
    if chosen is KeyringChoice.AUTO and not keeps_secrets(system):
        from app.config.keyring_file import unlock_password  # lazy: only where the system keeps nothing

        if unlock_password() is not None:
            return _file_keyring()
    return system


def backend_info() -> BackendInfo:
    """Which keyring is in force and whether it keeps secrets across a restart (``tillqr self-test``)."""
    found = backend()
    return BackendInfo(_describe(found), keeps_secrets(found))


def _usable() -> KeyringBackend:
    from keyring.backends import fail, null  # lazy: keyring's backends only when a secret is asked for

    found = backend()
    if isinstance(found, (fail.Keyring, null.Keyring)):
        raise SecretsUnavailable(_("no OS keyring is available on this machine; {how_to}").format(how_to=HOW_TO))
    return found


def get_secret(provider: str, name: str) -> str | None:
    found = _usable()
    try:
        return found.get_password(SERVICE, f"{provider}:{name}")
    except (KeyringError, ValueError) as exc:  # ValueError: an encrypted entry that does not decrypt
        raise SecretsUnavailable(
            _("the keyring refused to read {credential} ({error})").format(
                credential=f"{provider}:{name}", error=type(exc).__name__
            )
        ) from None


def delete_secret(provider: str, name: str) -> None:
    """Removes a credential (nothing to do when none is stored); SecretsUnavailable when the keyring refuses."""
    found = _usable()
    try:
        found.delete_password(SERVICE, f"{provider}:{name}")
    except PasswordDeleteError:
        return
    except KeyringError as exc:
        raise SecretsUnavailable(
            _("the keyring refused to delete {credential} ({error})").format(
                credential=f"{provider}:{name}", error=type(exc).__name__
            )
        ) from None


def set_secret(provider: str, name: str, value: str) -> None:
    """Stores a credential, only where it outlives a restart (SecretsNotKept otherwise, nothing stored)."""
    found = _usable()
    if not value:
        raise ValueError(_("{credential} must not be empty").format(credential=f"{provider}:{name}"))
    if not keeps_secrets(found):
        raise SecretsNotKept(
            _("this machine's keyring ({backend}) forgets credentials at a restart; {how_to}").format(
                backend=_describe(found), how_to=HOW_TO
            )
        )
    try:
        found.set_password(SERVICE, f"{provider}:{name}", value)
    except KeyringError as exc:
        raise SecretsUnavailable(
            _("the keyring refused to store {credential} ({error})").format(
                credential=f"{provider}:{name}", error=type(exc).__name__
            )
        ) from None
