import hashlib
import re

import pytest

from app.config import settings as st
from app.config.pin import PinError, PinGate, hash_pin, verify_pin
from app.providers.registry import spec_of


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_means_not_configured(tmp_path):
    assert st.load(tmp_path / "nope.toml") is None


def test_round_trip_through_save_and_load(tmp_path):
    path = tmp_path / "c" / "config.toml"
    s = st.Settings(
        store_name='Padaria "Central"',
        store_city="SÃO PAULO",
        provider="depay",
        base_url="https://stage.api.payments.depay.us",
        pos_external_reference="POS-9",
        local_country="AR",
        currency="ARS",
        pin_hash=hash_pin("246810"),
        notify_port=8089,
        notify_host="0.0.0.0",
        notify_public_url="https://shop.example/notifications",
    )
    st.save(s, path)
    assert st.load(path) == s
    assert not (tmp_path / "c" / "config.toml.tmp").exists()
    assert spec_of("depay").client_options(s) == {"pos_external_reference": "POS-9", "local_country": "AR"}


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[store\nname = 1", "not valid TOML"),
        ("[shop]\nname = 'x'", "unknown section [shop]"),
        ("[store]\ncolour = 'red'", "unknown key store.colour"),
        ("[checkout]\nexpires_in = 'soon'", "checkout.expires_in must be a whole number, not 'soon' (text)"),
        ("[checkout]\nexpires_in = 5", "checkout.expires_in must be between"),
        ("[store]\ncurrency = 'XXX'", "store.currency"),
        ("[store]\ncountry = 'Brazil'", "store.country"),
        ("[store]\nmcc = '12'", "store.mcc"),
        ("[provider]\nname = 'paypal'", "provider.name 'paypal'"),
        ("[provider]\nbase_url = 'http://evil.example'", "must be https://"),
        ("[manager]\npin_hash = '1234'", "manager.pin_hash"),
        ("[notifications]\nport = 70000", "notifications.port must be between 0 (off) and 65535"),
        ("[notifications]\nport = '8089'", "notifications.port must be a whole number"),
        ("[notifications]\nhost = 'user@host'", "notifications.host must be an address"),
        ("[notifications]\nhost = ''", "notifications.host must be an address"),
        ("[notifications]\npublic_url = 'http://shop.example/n'", "notifications.public_url must be https://"),
    ],
)
def test_broken_files_name_the_bad_key(tmp_path, text, needle):
    with pytest.raises(st.SettingsError) as exc:
        st.load(write(tmp_path, text))
    assert needle in str(exc.value) and "config.toml" in str(exc.value)


def test_binary_garbage_is_a_clear_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(st.SettingsError, match=r"is not UTF-8 text \(line 1\)"):
        st.load(path)


def test_pin_hash_is_slow_salted_and_never_the_pin():
    h1, h2 = hash_pin("246810"), hash_pin("246810")
    # The stored form is exactly: scheme, cost parameters, a random salt and a digest, all hex.
    # (A plain "'2468' not in h1" is wrong: any 4 digits turn up by chance in 112 hex digits.)
    kind, version, pepper, n, r, p, salt, digest = h1.split("$")
    assert (kind, version, pepper, int(n) >= 2**14) == ("scrypt", "v2", "-", True)  # no pepper given: "-"
    assert re.fullmatch(r"[0-9a-f]{32}", salt) and re.fullmatch(r"[0-9a-f]{64}", digest)
    assert h1 != h2 and salt != h2.split("$")[6]  # salted: the same PIN never stores the same
    assert digest == hashlib.scrypt(b"246810", salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32).hex()
    assert verify_pin("246810", h1) and not verify_pin("246811", h1) and not verify_pin("", h1)
    assert not verify_pin("246810", "garbage")
    for bad in ("12", "abcd", "1234", "12345", "123456789", ""):  # new PINs: 6 to 8 digits
        with pytest.raises(PinError):
            hash_pin(bad)


def test_pin_gate_locks_out_after_repeated_failures():
    now = [0.0]
    gate = PinGate(hash_pin("135790"), max_failures=3, lockout_s=60, clock=lambda: now[0])
    gate.check("135790")
    for _ in range(2):
        with pytest.raises(PinError, match="tr(y|ies) left"):
            gate.check("0000")
    with pytest.raises(PinError, match="locked"):
        gate.check("0000")
    with pytest.raises(PinError, match="too many"):
        gate.check("135790")  # even the right PIN waits out the lock
    now[0] = 61
    gate.check("135790")


def test_a_control_character_is_refused_and_a_save_always_reads_back(tmp_path):
    path = tmp_path / "config.toml"
    with pytest.raises(st.SettingsError, match="store.name has a control character"):
        st.save(st.Settings(store_name="Loja\x7f"), path)
    assert not path.exists()
    st.save(st.Settings(store_name='Loja "Ação" \\ 100%'), path)
    assert st.load(path).store_name == 'Loja "Ação" \\ 100%'
    assert (path.stat().st_mode & 0o777) == 0o600


def test_mcc_must_be_ascii_digits(tmp_path):
    with pytest.raises(st.SettingsError, match="store.mcc"):
        st.save(st.Settings(store_mcc="²³⁴⁵"), tmp_path / "config.toml")


def test_pin_lockout_survives_a_restart(tmp_path):
    now = [1000.0]
    state = tmp_path / "data" / "pin-lockout.json"
    stored = hash_pin("135790")
    gate = PinGate(stored, max_failures=2, lockout_s=60, clock=lambda: now[0], state_file=state)
    with pytest.raises(PinError, match="1 try left"):
        gate.check("0000")
    again = PinGate(stored, max_failures=2, lockout_s=60, clock=lambda: now[0], state_file=state)
    with pytest.raises(PinError, match="locked"):  # the failure before the restart still counts
        again.check("0000")
    restarted = PinGate(stored, max_failures=2, lockout_s=60, clock=lambda: now[0], state_file=state)
    with pytest.raises(PinError, match="too many"):
        restarted.check("135790")
    now[0] += 61
    restarted.check("135790")
