"""The manager PIN: stored only as a slow salted hash (scrypt), checked in constant time.

The hash string is self-describing, so the cost can be raised later without
locking anyone out: ``scrypt$n$r$p$<salt hex>$<hash hex>``. Wrong guesses are
slowed down by the KDF itself and counted by ``PinGate`` (a lock-out after a few
failures, for a while), so a 4–8 digit PIN is not brute-forced at the counter.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time

N, R, P = 2**14, 8, 1           # ~50 ms and 16 MiB on a small kiosk: slow to guess, quick to type
_PIN = re.compile(r"^[0-9]{4,8}$")


class PinError(ValueError):
    pass


def check_format(pin: str) -> None:
    if not _PIN.match(pin or ""):
        raise PinError("the PIN must be 4 to 8 digits")


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    check_format(pin)
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt((pin or "").encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, bytes.fromhex(digest))


class PinGate:
    """Counts failures; after ``max_failures`` in a row, refuses every try for ``lockout_s`` seconds."""

    def __init__(self, stored: str | None, *, max_failures: int = 5, lockout_s: float = 300.0,
                 clock=time.monotonic):
        self.stored = stored
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        self.failures = 0
        self.locked_until = 0.0

    @property
    def configured(self) -> bool:
        return bool(self.stored)

    def check(self, pin: str) -> None:
        """Returns when the PIN is right; raises PinError in words otherwise."""
        now = self.clock()
        if now < self.locked_until:
            raise PinError(f"too many wrong PINs: try again in {int(self.locked_until - now) + 1} s")
        if not self.stored:
            raise PinError("no manager PIN is set yet")
        if verify_pin(pin, self.stored):
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= self.max_failures:
            self.failures = 0
            self.locked_until = now + self.lockout_s
            raise PinError(f"wrong PIN; locked for {int(self.lockout_s)} s")
        raise PinError(f"wrong PIN ({self.max_failures - self.failures} tries left)")
