"""Credentials on a kiosk: the encrypted file keyring (real files, a real child process for the restart),
self-test's backend line, and setup refusing a credential the keyring in force would forget."""

import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer

from app.commands import selftest
from app.config import secrets
from app.config.keyring_file import CREDENTIAL_NAME, FILE_NAME, PASSWORD_ENV, PASSWORD_FILE_ENV
from app.config.pin import peppered
from app.screens.settings_model import SettingsModel
from tests.support.memkeyring import MemoryKeyring

CANARY = "CANARY-KIOSK-SECRET-41c9"
PIN = "246810"


@pytest.fixture
def forgetful():
    """The machine's keyring is one that keeps nothing across a restart (a headless kiosk's)."""
    before = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring(persists=False))
    yield
    keyring.set_keyring(before)


@pytest.fixture
def cryptfile(monkeypatch, _tillqr_home, forgetful):
    monkeypatch.setenv("TILLQR_KEYRING", "cryptfile")
    monkeypatch.setenv(PASSWORD_ENV, "test unlock password 9d2e")
    return _tillqr_home / "config" / FILE_NAME


def _setup(tmp_path: Path) -> SettingsModel:
    m = SettingsModel(tmp_path / "config" / "config.toml")
    m.set("provider.base_url", "https://api.example.com")
    for name in m.credential_keys():
        m.set_credential(name, f"{CANARY}-{name}")
    return m


def _read_in_child(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    """A new process (a restart): reads each credential through app.config.secrets.get_secret."""
    code = (
        "import sys\n"
        "from app.config.secrets import SecretsUnavailable, get_secret, backend_info\n"
        "try:\n"
        "    print(backend_info().name)\n"
        "    for name in sys.argv[1:]:\n"
        "        print(get_secret('jpmorgan', name))\n"
        "except SecretsUnavailable as exc:\n"
        "    print('unavailable:', exc)\n"
        "    sys.exit(3)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *names], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_secret_saved_through_setup_is_read_back_after_a_restart(tmp_path, cryptfile):
    m = _setup(tmp_path)
    m.set_pin(PIN, PIN)
    assert peppered(m.pin_hash)  # the pepper went into the encrypted file, which keeps it
    assert m.save() is True, m.message
    names = m.credential_keys()
    assert names and m.credential_state() == {name: "set" for name in names}
    assert cryptfile.is_file() and cryptfile.stat().st_mode & 0o777 == 0o600
    assert cryptfile.parent.stat().st_mode & 0o777 == 0o700
    for path in tmp_path.rglob("*"):  # encrypted: not a credential in clear in any file
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path

    child = _read_in_child(dict(os.environ), *names, "pin_pepper")
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert lines[0] == f"encrypted file keyring {cryptfile}"
    assert lines[1 : 1 + len(names)] == [f"{CANARY}-{name}" for name in names]

    wrong = _read_in_child({**os.environ, PASSWORD_ENV: "not the password"}, *names)
    assert wrong.returncode == 3 and "does not open" in wrong.stdout
    assert CANARY not in wrong.stdout + wrong.stderr and "not the password" not in wrong.stdout + wrong.stderr


def test_the_password_from_a_systemd_credential_or_a_file(tmp_path, cryptfile, monkeypatch):
    secrets.set_secret("jpmorgan", "probe", CANARY)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / CREDENTIAL_NAME).write_text("test unlock password 9d2e\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    by_systemd = _read_in_child({**env, "CREDENTIALS_DIRECTORY": str(credentials)}, "probe")
    assert by_systemd.stdout.splitlines()[1:] == [CANARY], by_systemd.stdout + by_systemd.stderr
    by_file = _read_in_child({**env, PASSWORD_FILE_ENV: str(credentials / CREDENTIAL_NAME)}, "probe")
    assert by_file.stdout.splitlines()[1:] == [CANARY], by_file.stdout + by_file.stderr
    none = _read_in_child(env, "probe")
    assert none.returncode == 3 and "unlock password" in none.stdout and "Credentials on a kiosk" in none.stdout


def test_a_password_file_that_gives_nothing_is_named(tmp_path, cryptfile, monkeypatch):
    """TILLQR_KEYRING_PASSWORD_FILE naming a missing or empty file was said as "needs its unlock password: the
    systemd credential …, the file named by …", never naming the file the manager had set up."""
    monkeypatch.delenv(PASSWORD_ENV)
    missing = tmp_path / "no-such-password"
    monkeypatch.setenv(PASSWORD_FILE_ENV, str(missing))
    with pytest.raises(secrets.SecretsUnavailable, match=f"{missing} .*cannot be read \\(No such file"):
        selftest._keyring()
    empty = tmp_path / "empty-password"
    empty.write_text("\n", encoding="utf-8")
    monkeypatch.setenv(PASSWORD_FILE_ENV, str(empty))
    with pytest.raises(secrets.SecretsUnavailable, match=f"{empty} .*is empty"):
        selftest._keyring()


def test_auto_falls_back_to_the_file_only_where_the_system_keeps_nothing(monkeypatch, forgetful, _tillqr_home):
    assert secrets.backend_info() == secrets.BackendInfo("tests.support.memkeyring.MemoryKeyring", False)
    monkeypatch.setenv(PASSWORD_ENV, "another test password")
    info = secrets.backend_info()
    assert info.keeps_secrets and info.name == f"encrypted file keyring {_tillqr_home / 'config' / FILE_NAME}"
    monkeypatch.setenv("TILLQR_KEYRING", "system")  # the system's, even though it forgets
    assert secrets.backend_info().keeps_secrets is False
    keyring.set_keyring(MemoryKeyring())  # a keyring that keeps secrets wins over the file
    monkeypatch.delenv("TILLQR_KEYRING")
    assert secrets.backend_info() == secrets.BackendInfo("tests.support.memkeyring.MemoryKeyring", True)
    monkeypatch.setenv("TILLQR_KEYRING", "plaintext")
    with pytest.raises(secrets.SecretsUnavailable, match="TILLQR_KEYRING must be one of auto, system, cryptfile"):
        secrets.backend_info()


def test_setup_refuses_a_credential_the_keyring_would_forget(tmp_path, forgetful):
    m = _setup(tmp_path)
    m.set_pin(PIN, PIN)
    assert not peppered(m.pin_hash)  # the pepper follows the same rule: not kept where it would be lost
    assert m.save() is False
    assert "forgets credentials at a restart" in m.message
    assert "TILLQR_KEYRING=cryptfile" in m.message and "Credentials on a kiosk" in m.message
    assert "credentials" in m.errors and CANARY not in m.message
    assert not (tmp_path / "config" / "config.toml").exists()
    assert keyring.get_keyring().store == {}  # type: ignore[attr-defined] - the MemoryKeyring above


def test_keyrings_own_file_keyrings_are_never_chosen_or_chained(ring, monkeypatch):
    """keyrings.cryptfile offers keyring a plain-text file keyring and ones that ask for a password on a
    terminal: when keyring chose a chainer of them before TillQR asked, TillQR picks again without them."""
    keyring.set_keyring(chainer.ChainerBackend())
    keyring.backend._limit = None  # as keyring leaves it when it chose on its own
    assert any(type(b).__module__.startswith("keyrings.cryptfile") for b in chainer.ChainerBackend.backends)
    monkeypatch.setenv("TILLQR_KEYRING", "system")
    found = secrets.backend()
    inner = found.backends if isinstance(found, chainer.ChainerBackend) else [found]
    assert not any(type(b).__module__.startswith("keyrings") for b in inner)
    assert not any(type(b).__module__.startswith("keyrings") for b in chainer.ChainerBackend.backends)


def test_self_test_names_the_backend_and_whether_it_keeps_secrets(cryptfile, monkeypatch):
    assert selftest._keyring() == f"encrypted file keyring {cryptfile}; keeps secrets across a restart: yes"
    monkeypatch.setenv("TILLQR_KEYRING", "system")
    with pytest.raises(Warning, match="MemoryKeyring; keeps secrets across a restart: no .*Credentials on a kiosk"):
        selftest._keyring()
    monkeypatch.setenv("TILLQR_KEYRING", "cryptfile")
    monkeypatch.setenv(PASSWORD_ENV, "a wrong password")
    # the file exists from the first check: a wrong password cannot open it
    with pytest.raises(secrets.SecretsUnavailable, match="does not open"):
        selftest._keyring()  # chosen but unusable: FAIL, not WARN
