"""The manager PIN: stored only as a slow salted hash (scrypt), checked in constant time.

The hash string is self-describing, so the cost can be raised later without
locking anyone out: ``scrypt$n$r$p$<salt hex>$<hash hex>``. Wrong guesses are
slowed down by the KDF itself and counted by ``PinGate`` (a lock-out after a few
failures, for a while), so a 4–8 digit PIN is not brute-forced at the counter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from pathlib import Path

N, R, P = 2**14, 8, 1  # ~50 ms and 16 MiB on a small kiosk: slow to guess, quick to type
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
        got = hashlib.scrypt(
            (pin or "").encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(bytes.fromhex(digest)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, bytes.fromhex(digest))


class PinGate:
    """Counts failures; after ``max_failures`` in a row, refuses every try for ``lockout_s`` seconds.

    With ``state_file`` the count and the lock survive a restart (a restart is no way around them).
    """

    def __init__(
        self,
        stored: str | None,
        *,
        max_failures: int = 5,
        lockout_s: float = 300.0,
        clock=time.time,
        state_file: Path | None = None,
    ):
        self.stored = stored
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        self.state_file = state_file
        self.failures = 0
        self.locked_until = 0.0
        if state_file is not None:
            try:
                saved = json.loads(state_file.read_text(encoding="utf-8"))
                self.failures = int(saved.get("failures", 0))
                self.locked_until = float(saved.get("locked_until", 0.0))
            except (OSError, ValueError, TypeError, AttributeError):
                pass  # no file yet, or unreadable: start counting afresh

    def _persist(self) -> None:
        if self.state_file is None:
            return
        try:
            self.state_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self.state_file.with_name(self.state_file.name + ".tmp")
            tmp.write_text(json.dumps({"failures": self.failures, "locked_until": self.locked_until}), encoding="utf-8")
            os.replace(tmp, self.state_file)
        except OSError:
            pass  # the in-memory count still applies

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
            if self.failures:
                self.failures = 0
                self._persist()
            return
        self.failures += 1
        if self.failures >= self.max_failures:
            self.failures = 0
            self.locked_until = now + self.lockout_s
            self._persist()
            raise PinError(f"wrong PIN; locked for {int(self.lockout_s)} s")
        self._persist()
        raise PinError(f"wrong PIN ({self.max_failures - self.failures} tries left)")
