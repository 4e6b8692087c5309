"""SettingsModel without Qt: validation naming keys, keyring-only credentials, PIN, provider calls on the sandbox."""

from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backends import fail

from app.config import settings as st
from app.config.pin import PinError, hash_pin
from app.config.secrets import get_secret
from app.sandbox import create_app
from app.screens.settings_model import SettingsModel

CANARY = "CANARY-SECRET-7f3a"
BASE = "http://127.0.0.1:9"  # never dialled: the transport is the in-process sandbox


@pytest.fixture
def no_keyring():
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def transport():
    return httpx.ASGITransport(app=create_app())


def model_for(tmp_path, transport=None, **values):
    m = SettingsModel(tmp_path / "config" / "config.toml", transport=transport)
    for key, text in values.items():
        m.set(key.replace("__", "."), text)
    return m


def test_validation_names_the_key(tmp_path):
    m = model_for(tmp_path, store__name="A store name far too long for any QR")
    assert m.validate() is None and "store.name" in m.errors and "25" in m.errors["store.name"]
    m.set("store.name", "Chai Point")
    m.set("store.country", "India")
    assert m.validate() is None and list(m.errors) == ["store.country"]
    m.set("store.country", "IN")
    m.set("checkout.expires_in", "soon")
    assert m.validate() is None and "checkout.expires_in" in m.errors
    m.set("checkout.expires_in", "120")
    m.set("provider.base_url", "http://evil.example")
    assert m.validate() is None and list(m.errors) == ["provider.base_url"]


def test_save_writes_config_and_keyring_only(tmp_path, ring):
    m = model_for(tmp_path, store__name="Padaria", provider__base_url="https://api.example.com")
    m.set_credential("client_id", "till-client-1")
    m.set_credential("client_secret", CANARY)
    assert m.save() is False and "PIN" in m.message  # a PIN first: it guards this screen
    m.set_pin("246810", "246810")
    assert m.save() is True, m.message
    assert "Restart" in m.message
    loaded = st.load(tmp_path / "config" / "config.toml")
    assert loaded.store_name == "Padaria" and loaded.pin_hash.startswith("scrypt$")
    assert get_secret("jpmorgan", "client_secret") == CANARY
    assert m.credential_state() == {"client_id": "set", "client_secret": "set"}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def test_credentials_refused_without_keyring(tmp_path, no_keyring):
    m = model_for(tmp_path, provider__base_url="https://api.example.com")
    m.set_pin("246810", "246810")
    m.set_credential("client_secret", CANARY)
    assert m.credential_state()["client_secret"] == "typed, not saved yet"
    assert m.save() is False
    assert "no OS keyring" in m.message and "credentials" in m.errors
    assert not (tmp_path / "config" / "config.toml").exists()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def test_pin_change_needs_the_current_pin(tmp_path, ring):
    path = tmp_path / "config" / "config.toml"
    st.save(st.Settings(pin_hash=hash_pin("135790")), path)
    m = SettingsModel(path)
    with pytest.raises(PinError, match="wrong PIN"):
        m.set_pin("246810", "246810", current="0000")
    with pytest.raises(PinError, match="differ"):
        m.set_pin("246810", "246811", current="135790")
    m.set_pin("246810", "246810", current="135790")
    assert m.save(), m.message
    from app.config.pin import peppered, read_pepper, verify_pin

    stored = st.load(path).pin_hash
    assert peppered(stored) and verify_pin("246810", stored, pepper=read_pepper())  # a keyring here: peppered


def test_a_pin_set_under_the_old_rules_asks_to_be_changed(tmp_path, ring):
    from tests.unit.test_pin import version1_hash

    path = tmp_path / "config" / "config.toml"
    st.save(st.Settings(pin_hash=version1_hash("1357")), path)
    m = SettingsModel(path)
    assert m.pin_advice and "6 to 8 digits" in m.pin_advice
    with pytest.raises(PinError, match="6 to 8 digits"):
        m.set_pin("2468", "2468", current="1357")
    m.set_pin("246810", "246810", current="1357")  # the old 4-digit PIN still opens the change
    assert m.pin_advice is None


def test_broken_file_names_the_key_and_keeps_the_rest(tmp_path):
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[store]\nname = "Chai Point"\nmcc = "12"\n', encoding="utf-8")
    m = SettingsModel(path)
    assert "store.mcc" in m.problem and list(m.errors) == ["store.mcc"]
    assert m.values["store.name"] == "Chai Point"
    m.set("store.mcc", "5814")
    m.set_pin("246810", "246810")
    assert m.save(), m.message
    assert st.load(path).store_mcc == "5814"


@pytest.mark.parametrize(
    "provider,creds,extra",
    [
        ("jpmorgan", {"client_id": "c", "client_secret": "s"}, {}),
        ("razorpay", {"key_id": "rzp_test_1", "key_secret": "s"}, {"store.currency": "INR"}),
        ("depay", {"access_token": "t"}, {"provider.pos_external_reference": "POS-1"}),
        ("pix", {"access_token": "t"}, {}),
    ],
)
async def test_connection_ok_on_every_provider(tmp_path, ring, transport, provider, creds, extra):
    m = model_for(tmp_path, transport)
    m.set("provider.name", provider)
    m.set("provider.base_url", f"{BASE}/{provider}")
    for key, text in extra.items():
        m.set(key, text)
    for name, value in creds.items():
        m.set_credential(name, value)
    ok, text = await m.test_connection()
    assert ok, text
    assert text.startswith("Connection OK")


async def test_connection_reports_missing_credentials_in_words(tmp_path, ring, transport):
    m = model_for(tmp_path, transport, provider__base_url=f"{BASE}/jpmorgan")
    ok, text = await m.test_connection()
    assert not ok and "no client_id for jpmorgan" in text


async def test_connection_refused_credentials(tmp_path, ring, transport):
    m = model_for(tmp_path, transport, provider__base_url=f"{BASE}/depay")
    m.set("provider.name", "depay")
    m.set_credential("access_token", " ")  # the sandbox refuses empty (blank) credentials
    ok, text = await m.test_connection()
    assert not ok and ("refused" in text or "access_token" in text), text


async def test_create_link_then_sticker(tmp_path, ring, transport):
    m = model_for(tmp_path, transport, provider__base_url=f"{BASE}/jpmorgan", store__name="Padaria Central")
    m.set_credential("client_id", "c")
    m.set_credential("client_secret", "t")
    assert m.can_create_link()
    ok, text = await m.create_payment_link()
    assert ok, text
    assert m.values["provider.payment_link_id"] == m.link.link_id
    ok, text = await m.test_connection()
    assert ok and m.link.link_id in text
    sticker = await m.sticker()
    assert sticker.payload == m.link.payload and sticker.text("name") == ["Padaria Central"]
    m.set("provider.name", "depay")
    assert not m.can_create_link()


async def test_print_sticker_through_the_runner_says_each_outcome(tmp_path, ring, transport):
    m = model_for(tmp_path, transport, provider__base_url=f"{BASE}/jpmorgan", store__name="Padaria Central")
    m.set_credential("client_id", "c")
    m.set_credential("client_secret", "t")
    written: list[Path] = []

    def write(sticker, target: Path) -> list[str]:  # the view paints with Qt; here the payload as text
        target.write_text(sticker.payload, encoding="utf-8")
        written.append(target)
        return []

    ok, text = await m.print_sticker(tmp_path / "sticker", write)
    assert not ok and text == "No sticker: no payment link yet: create it first" and m.busy is None
    assert (await m.create_payment_link())[0]
    ok, text = await m.print_sticker(tmp_path / "sticker", write)
    assert ok and text == f"Sticker written to {tmp_path / 'sticker.pdf'}" and written[0].read_text() == m.link.payload
    ok, text = await m.print_sticker(tmp_path / "missing" / "s.png", write)
    assert not ok and text.startswith("The sticker was not written to") and "No such file" in text
