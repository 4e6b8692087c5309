"""The manager PIN's hash versions, the keyring pepper and the lock-out shared between processes (issue 12, defect 9)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os

import keyring
import pytest
from keyring.backends import fail

from app.config.pin import (
    PEPPER_KEY,
    PinError,
    PinGate,
    hash_pin,
    legacy,
    make_pepper,
    manager_gate,
    peppered,
    read_pepper,
    verify_pin,
)
from app.config.secrets import get_secret


def version1_hash(pin: str) -> str:
    """A hash as TillQR stored them before issue 12 (``scrypt$n$r$p$salt$hash``, 4 digits allowed)."""
    salt = os.urandom(16)
    n, r, p = 2**14, 8, 1
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def test_new_pins_need_six_digits_but_a_stored_four_digit_pin_still_opens():
    for short in ("1234", "12345"):
        with pytest.raises(PinError, match="6 to 8 digits"):
            hash_pin(short)
    old = version1_hash("1357")
    assert legacy(old) and not peppered(old)
    assert verify_pin("1357", old) and not verify_pin("1358", old)
    gate = PinGate(old)
    gate.check("1357")  # an existing till keeps its PIN until the manager changes it
    assert not legacy(hash_pin("135790"))


def test_a_peppered_hash_is_not_enough_to_check_a_pin_without_the_keyring(ring):
    pepper = make_pepper()
    assert pepper and len(pepper) == 32 and get_secret(*PEPPER_KEY) == pepper.hex()
    assert make_pepper() == pepper  # made once, then read back
    stored = hash_pin("246810", pepper=pepper)
    assert peppered(stored) and stored.startswith("scrypt$v2$k$")
    assert verify_pin("246810", stored, pepper=pepper)
    assert not verify_pin("246810", stored, pepper=os.urandom(32))  # a guess at the secret does not do
    # config.toml alone (no pepper): the hash cannot be checked at all, so it cannot be guessed offline
    with pytest.raises(PinError, match="keyring"):
        verify_pin("246810", stored)
    _, _, _, n, r, p, salt, digest = stored.split("$")
    unpeppered = hashlib.scrypt(b"246810", salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    assert unpeppered.hex() != digest
    assert PinGate(stored).check("246810") is None  # the gate reads the pepper from the keyring


def test_without_a_keyring_the_unpeppered_hash_works():
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert make_pepper() is None and read_pepper() is None
        stored = hash_pin("246810", pepper=make_pepper())
        assert not peppered(stored) and stored.startswith("scrypt$v2$-$")
        PinGate(stored).check("246810")
    finally:
        keyring.set_keyring(before)


def test_a_peppered_pin_with_the_keyring_locked_is_refused_without_counting(ring, tmp_path):
    stored = hash_pin("246810", pepper=make_pepper())
    gate = PinGate(stored, state_file=tmp_path / "pin-lockout.json", pepper=lambda: None)
    with pytest.raises(PinError, match="keyring"):
        gate.check("246810")
    assert gate.failures == 0


def _guess(config_file: str, pin: str, out: multiprocessing.Queue) -> None:
    from pathlib import Path

    gate = manager_gate(json.loads(Path(config_file).read_text())["hash"], Path(config_file))
    try:
        gate.check(pin)
        out.put("ok")
    except PinError as exc:
        out.put(str(exc))


def test_the_lock_out_counts_wrong_pins_of_every_process(tmp_path):
    """A script cannot brute-force the PIN by starting a new process for each guess."""
    config = tmp_path / "config.toml"
    config.write_text(json.dumps({"hash": hash_pin("246810")}))
    ctx = multiprocessing.get_context("spawn")
    answers = []
    for guess in ("000000", "111111", "222222", "333333", "444444", "246810"):
        out = ctx.Queue()
        child = ctx.Process(target=_guess, args=(str(config), guess, out))
        child.start()
        answers.append(out.get(timeout=60))
        child.join(timeout=60)
    assert answers[:4] == [f"wrong PIN ({n} tries left)" for n in (4, 3, 2)] + ["wrong PIN (1 try left)"]
    assert answers[4] == "wrong PIN; locked for 300 s"
    assert answers[5].startswith("too many wrong PINs")  # the right PIN, in yet another process: still locked
    state = tmp_path / "pin-lockout.json"
    assert (state.stat().st_mode & 0o777) == 0o600
