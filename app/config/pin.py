"""The manager PIN: stored only as a slow salted hash (scrypt), checked in constant time.

The hash string is self-describing, so the cost can be raised later without locking anyone out:

- ``scrypt$v2$<pepper>$n$r$p$<salt hex>$<hash hex>`` (today's): ``pepper`` is ``k`` when the PIN was
  first mixed (HMAC-SHA256) with a random secret kept in the OS keyring (``manager:pin_pepper``), so
  a stolen config.toml alone is not enough to guess the PIN offline, or ``-`` where no keyring was
  available (self-test warns then). The pepper follows the credentials' rule (``app.config.secrets``):
  it is kept only in a keyring that outlives a restart, since a PIN peppered with a secret the next
  start has lost could never be checked again; where the keyring would forget it, the PIN is ``-``;
- ``scrypt$n$r$p$<salt hex>$<hash hex>`` (version 1, before peppering and when 4 digits were
  allowed): still verified, so a till keeps its PIN; Settings asks to change it (``legacy``).

New PINs have 6 to 8 digits (``check_format``); an older 4- or 5-digit PIN keeps working until it
is changed. Wrong guesses are slowed down by the KDF itself and counted by ``PinGate`` (a lock-out
after a few failures, for a while), kept in a file beside config.toml so that neither a restart nor
a script starting one process per guess gets around it. The GUI and ``tillqr journal refund`` share
that file (``manager_gate``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from app.config.secrets import SecretsUnavailable, get_secret, set_secret
from app.i18n import _, ngettext

N, R, P = 2**14, 8, 1  # ~50 ms and 16 MiB on a small kiosk: slow to guess, quick to type
MIN_DIGITS, MAX_DIGITS = 6, 8
CASHIER_DIGITS = (4, 6)  # a cashier's PIN (app.storage.cashiers): short, typed many times a day
PEPPER_KEY = ("manager", "pin_pepper")  # keyring entry "manager:pin_pepper" (service "tillqr")
LOCKOUT_FILE = "pin-lockout.json"  # beside config.toml

Pepper = Callable[[], bytes | None]


class PinError(ValueError):
    pass


def check_format(pin: str, digits: tuple[int, int] = (MIN_DIGITS, MAX_DIGITS)) -> None:
    """A new PIN: 6 to 8 digits (the manager's), or as many as ``digits`` says (a cashier's: 4 to 6)."""
    low, high = digits
    if not re.fullmatch(rf"[0-9]{{{low},{high}}}", pin or ""):
        raise PinError(_("the PIN must be {low} to {high} digits").format(low=low, high=high))


# -- the pepper (a random secret in the keyring) ----------------------------------------------------
def read_pepper() -> bytes | None:
    """The pepper kept in the keyring; None when no keyring can be used or none is stored."""
    try:
        text = get_secret(*PEPPER_KEY)
    except SecretsUnavailable:
        return None
    try:
        return bytes.fromhex(text) if text else None
    except ValueError:
        return None


def make_pepper() -> bytes | None:
    """The keyring's pepper, made and stored the first time; None when no keyring can be used, or only one
    that would forget it at a restart (``SecretsNotKept``)."""
    found = read_pepper()
    if found:
        return found
    fresh = secrets.token_bytes(32)
    try:
        set_secret(*PEPPER_KEY, fresh.hex())
    except SecretsUnavailable:
        return None
    return read_pepper()  # what the keyring really keeps (None if it did not keep it)


def _secret(pin: str, pepper: bytes | None) -> bytes:
    raw = (pin or "").encode()
    return hmac.new(pepper, raw, hashlib.sha256).digest() if pepper else raw


def hash_pin(
    pin: str,
    *,
    pepper: bytes | None = None,
    salt: bytes | None = None,
    digits: tuple[int, int] = (MIN_DIGITS, MAX_DIGITS),
) -> str:
    """A new PIN's stored form (version 2); ``pepper``: the keyring's secret, or None without a keyring;
    ``digits``: how many it may have (``CASHIER_DIGITS`` for a cashier's)."""
    check_format(pin, digits)
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(_secret(pin, pepper), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt$v2${'k' if pepper else '-'}${N}${R}${P}${salt.hex()}${digest.hex()}"


def peppered(stored: str) -> bool:
    """Whether ``stored`` needs the keyring's pepper to be verified."""
    return stored.startswith("scrypt$v2$k$")


def legacy(stored: str) -> bool:
    """A version-1 hash (4-digit PINs were allowed, no pepper): it works, but should be changed."""
    return bool(stored) and stored.startswith("scrypt$") and not stored.startswith("scrypt$v2$")


def verify_pin(pin: str, stored: str, *, pepper: bytes | None = None) -> bool:
    """Whether ``pin`` is the one ``stored`` was made from. A peppered hash without ``pepper`` raises PinError."""
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) == 8 and parts[:2] == ["scrypt", "v2"] and parts[2] in ("k", "-"):
        if parts[2] == "k" and not pepper:
            raise PinError(
                _(
                    "the manager PIN is tied to a secret in the OS keyring, which cannot be read here "
                    "(unlock the keyring; if it is lost, remove {key} from config.toml and set a new PIN)"
                ).format(key="manager.pin_hash")
            )
        secret, fields = _secret(pin, pepper if parts[2] == "k" else None), parts[3:]
    elif len(parts) == 6 and parts[0] == "scrypt":
        secret, fields = (pin or "").encode(), parts[1:]
    else:
        return False
    try:
        n, r, p, salt, digest = fields
        want = bytes.fromhex(digest)
        got = hashlib.scrypt(secret, salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


class PinGate:
    """Counts failures; after ``max_failures`` in a row, refuses every try for ``lockout_s`` seconds.

    With ``state_file`` the count and the lock survive a restart, and every process using the file
    (the GUI, ``tillqr journal refund``) counts in it, one check at a time (a file lock): neither a
    restart nor many processes at once are a way around them. ``pepper`` is asked only for a
    peppered hash (default: the keyring's)."""

    def __init__(
        self,
        stored: str | None,
        *,
        max_failures: int = 5,
        lockout_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        state_file: Path | None = None,
        pepper: Pepper = read_pepper,
    ):
        self.stored = stored
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        self.state_file = state_file
        self.pepper = pepper
        self.failures = 0
        self.locked_until = 0.0
        self._load()

    def _load(self) -> None:
        if self.state_file is None:
            return
        try:
            saved = json.loads(self.state_file.read_text(encoding="utf-8"))
            self.failures = int(saved.get("failures", 0))
            self.locked_until = float(saved.get("locked_until", 0.0))
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # no file yet, or unreadable: what this process counted still applies

    def _persist(self) -> None:
        if self.state_file is None:
            return
        try:
            self.state_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self.state_file.with_name(self.state_file.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"failures": self.failures, "locked_until": self.locked_until}, out)
            os.replace(tmp, self.state_file)
        except OSError:
            pass  # the in-memory count still applies

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One check at a time across processes (the count read, the PIN tried, the count written)."""
        if self.state_file is None:
            yield
            return
        try:
            self.state_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.state_file.with_name(self.state_file.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            yield
            return
        try:
            try:
                import fcntl  # lazy: POSIX only; Windows has no fcntl (the count is kept, without a lock)

                fcntl.flock(fd, fcntl.LOCK_EX)
            except ImportError:
                pass
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @property
    def configured(self) -> bool:
        return bool(self.stored)

    def check(self, pin: str) -> None:
        """Returns when the PIN is right; raises PinError in words otherwise."""
        with self._exclusive():
            self._load()  # another process may have counted since
            now = self.clock()
            if now < self.locked_until:
                raise PinError(
                    _("too many wrong PINs: try again in {seconds} s").format(seconds=int(self.locked_until - now) + 1)
                )
            if not self.stored:
                raise PinError(_("no manager PIN is set yet"))
            if verify_pin(pin, self.stored, pepper=self.pepper() if peppered(self.stored) else None):
                if self.failures:
                    self.failures = 0
                    self._persist()
                return
            self.failures += 1
            if self.failures >= self.max_failures:
                self.failures = 0
                self.locked_until = now + self.lockout_s
                self._persist()
                raise PinError(_("wrong PIN; locked for {seconds} s").format(seconds=int(self.lockout_s)))
            self._persist()
            left = self.max_failures - self.failures
            raise PinError(ngettext("wrong PIN ({n} try left)", "wrong PIN ({n} tries left)", left).format(n=left))


def manager_gate(stored: str | None, config_file: Path) -> PinGate:
    """The one gate of a till: its lock-out state beside ``config_file`` (this user's folder only)."""
    return PinGate(stored or None, state_file=Path(config_file).parent / LOCKOUT_FILE)
