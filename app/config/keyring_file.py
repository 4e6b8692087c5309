"""TillQR's encrypted file keyring, for a kiosk with no desktop keyring (``keyrings.cryptfile``).

A headless kiosk has no Secret Service (no desktop session, nothing unlocks a login keyring), so
``keyring`` falls back to a backend that keeps nothing. This one keeps the credentials in one file,
``keyring.cfg`` in TillQR's config folder (0600, folder 0700), each value encrypted with AES-GCM under
a key derived (Argon2id) from an unlock password the manager gives. The password reaches TillQR, in
this order, from:

1. the systemd credential ``tillqr-keyring`` (``LoadCredential=tillqr-keyring:/etc/tillqr/keyring-password``
   or ``LoadCredentialEncrypted=`` in the unit: systemd hands it in ``$CREDENTIALS_DIRECTORY``, readable by
   the service alone, never in the environment);
2. the file named by ``TILLQR_KEYRING_PASSWORD_FILE`` (root-owned, readable by the kiosk user only);
3. ``TILLQR_KEYRING_PASSWORD`` (the environment: simplest, but every process of that user can read it).

What it protects: the file copied off the machine (a backup, the config folder sent to support) is
useless without the password. What it does not: whoever can read the password as the kiosk user (or
root) can read the credentials; a password kept on the same disk protects against copies of TillQR's
folder, not against the disk itself (``LoadCredentialEncrypted`` bound to a TPM does).

Key derivation: Argon2id with RFC 9106's second recommended parameters (t=3, 64 MiB, p=4), not the
library's default (t=15), which takes over a second per secret on a small kiosk; the file is therefore
read by TillQR (or by this class), not by ``keyring``'s own ``CryptFileKeyring`` with its defaults.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

import keyring.backend

from app.i18n import _

CREDENTIAL_NAME = "tillqr-keyring"  # systemd: $CREDENTIALS_DIRECTORY/tillqr-keyring
PASSWORD_ENV = "TILLQR_KEYRING_PASSWORD"
PASSWORD_FILE_ENV = "TILLQR_KEYRING_PASSWORD_FILE"
FILE_NAME = "keyring.cfg"  # in the config folder

# keyring chains every backend class it has seen when it first looks (keyring.backend.get_all_keyring is
# computed once): keyrings.cryptfile also defines a plain-text file keyring, which must never be among them.
# So keyring looks before that module is imported, here, and never again.
keyring.backend.get_all_keyring()

from keyrings.cryptfile.cryptfile import CryptFileKeyring  # noqa: E402 - imported after keyring's backend list is fixed
from keyrings.cryptfile.escape import escape  # noqa: E402 - the same


class TillFileKeyring(CryptFileKeyring):
    """``CryptFileKeyring`` with TillQR's KDF cost, its file at ``path``, written atomically (0600)."""

    time_cost = 3
    memory_cost = 2**16  # KiB: 64 MiB
    parallelism = 4
    priority = -1  # never chosen by keyring on its own, only by app.config.secrets

    @classmethod
    def open(cls, path: Path, password: str) -> TillFileKeyring:
        """The keyring file at ``path`` unlocked with ``password`` (a new file when there is none); ValueError
        when the password does not open it, OSError when it cannot be read or written."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = cls()
        found.file_path = str(path)
        try:
            found.keyring_key = password  # unlocks the file, or starts a new one with this password
        except (ValueError, KeyError, configparser.Error):
            raise ValueError(
                _("the unlock password does not open {path} (or the file is damaged)").format(path=path)
            ) from None
        return found

    def _write_config_value(self, service: str, key: str, value: str) -> None:
        """One value written, the whole file replaced at once (a power cut leaves the old or the new file)."""
        config = configparser.RawConfigParser()
        config.read(self.file_path)
        section, option = escape(service), escape(key)
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, option, value)
        tmp = self.file_path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            config.write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.file_path)


def unlock_password() -> str | None:
    """The unlock password from the first source that gives one (see the module's text); None when none does."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    candidates = [Path(folder) / CREDENTIAL_NAME] if folder else []
    if os.environ.get(PASSWORD_FILE_ENV):
        candidates.append(Path(os.environ[PASSWORD_FILE_ENV]))
    for candidate in candidates:
        try:
            text = candidate.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            return text
    return os.environ.get(PASSWORD_ENV, "").strip() or None


def missing_password() -> str:
    """What to do when no unlock password was given, in words (naming the password file that gave none)."""
    named = os.environ.get(PASSWORD_FILE_ENV, "")
    problem = ""
    try:
        if named and not Path(named).read_text(encoding="utf-8").strip():
            problem = _("{path} (named by {variable}) is empty").format(path=named, variable=PASSWORD_FILE_ENV)
    except UnicodeDecodeError:
        problem = _("{path} (named by {variable}) is not text").format(path=named, variable=PASSWORD_FILE_ENV)
    except OSError as exc:
        problem = _("{path} (named by {variable}) cannot be read ({reason})").format(
            path=named, variable=PASSWORD_FILE_ENV, reason=exc.strerror or exc
        )
    if problem:
        return _(
            "the encrypted keyring needs its unlock password, and {problem}: put the password in it, readable by "
            'the till\'s user (see README, "Credentials on a kiosk")'
        ).format(problem=problem)
    return _(
        "the encrypted keyring needs its unlock password: the systemd credential {credential}, the file named by "
        '{variable}, or {password_variable} (see README, "Credentials on a kiosk")'
    ).format(credential=CREDENTIAL_NAME, variable=PASSWORD_FILE_ENV, password_variable=PASSWORD_ENV)
