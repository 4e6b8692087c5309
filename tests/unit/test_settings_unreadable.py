"""A config.toml that cannot be read (issue 12, defect 1): one SettingsError naming the file (and the line
where it is known), never a traceback, and the file left exactly as it was."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from app.config import settings as st
from app.domain.tariffs import TariffError
from app.fieldwork.tariff_config import load_tariffs
from app.screens.settings_form import salvage

NESTED = ("a = " + "[" * 100_000 + "]" * 100_000 + "\n").encode()
UNREADABLE = {
    "nested_arrays": NESTED,
    "nested_tables": ("a = " + "{b=" * 5000 + "1" + "}" * 5000 + "\n").encode(),
    "latin1": '[store]\nname = "Padaria Caf\xe9"\n'.encode("latin-1"),
    "binary": bytes(range(256)) * 8,
    "huge": b"# " + b"x" * (st.MAX_CONFIG_BYTES + 10) + b"\n",
    "long_integer": b"[checkout]\nexpires_in = " + b"9" * 5000 + b"\n",
    "syntax": b'[store]\nname = "unclosed\n',
}
WHY = {
    "nested_arrays": "nested too deeply",
    "nested_tables": "nested too deeply",
    "latin1": "not UTF-8 text (line 2)",
    "binary": "not UTF-8 text (line 2)",  # bytes 0-127 hold one line break before the first non-UTF-8 byte
    "huge": "too big",
    "long_integer": "too many digits",
    "syntax": "line 2",
}


def _config(tmp_path, content: bytes):
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_an_unreadable_config_is_one_line_naming_the_file_and_is_kept_as_it_is(tmp_path, kind):
    path = _config(tmp_path, UNREADABLE[kind])
    with pytest.raises(st.SettingsError) as caught:
        st.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and WHY[kind] in message, message
    assert "\n" not in message and len(message) < 300, message
    assert caught.value.__cause__ is None or not isinstance(caught.value.__cause__, RecursionError)
    assert path.read_bytes() == UNREADABLE[kind]  # read, never changed
    assert salvage(path, {"store.name"}) == ({}, None)  # the Settings page's salvage does not crash either
    with pytest.raises(TariffError, match=str(path)):  # nor does the tariffs' reader of the same file
        load_tariffs(path)


def test_a_deeply_nested_config_names_the_line_where_the_nesting_runs_away(tmp_path):
    path = _config(tmp_path, b'[store]\nname = "x"\n\n' + NESTED)
    with pytest.raises(st.SettingsError, match="from line 4"):
        st.load(path)


def test_a_folder_where_the_config_file_should_be_is_named(tmp_path):
    path = tmp_path / "config.toml"
    path.mkdir()
    with pytest.raises(st.SettingsError, match="is a folder, not a file"):
        st.load(path)
    assert path.is_dir()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_a_config_without_read_permission_is_named(tmp_path):
    path = _config(tmp_path, b'[store]\nname = "x"\n')
    path.chmod(0)
    try:
        with pytest.raises(st.SettingsError, match="cannot be read: Permission denied"):
            st.load(path)
    finally:
        path.chmod(0o600)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    with pytest.raises(st.SettingsError, match="not a regular file"):
        st.load(path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[store]\nname = 5\n", "store.name must be text in quotes, not '5' (a number)"),
        ("[store]\nname = [1, 2]\n", "store.name must be text in quotes, not a list"),
        ("[checkout]\nexpires_in = true\n", "checkout.expires_in must be a whole number, not true"),
        ("[checkout]\npoll_interval = 1" + "0" * 400 + "\n", "checkout.poll_interval is far too large"),
        ('[store]\ncountry = "' + "x" * 10_000 + '"\n', "not 'xxxxxxxxxxxxxxxxxxxxxxxx'… (10,000 characters)"),
    ],
)
def test_wrong_types_are_said_in_words_with_a_short_excerpt(tmp_path, text, words):
    path = _config(tmp_path, text.encode())
    with pytest.raises(st.SettingsError) as caught:
        st.load(path)
    assert words in str(caught.value) and len(str(caught.value)) < 300, str(caught.value)


def test_a_long_unknown_key_is_quoted_as_an_excerpt(tmp_path):
    path = _config(tmp_path, b"[store]\n" + b"k" * 5000 + b" = 1\n")
    with pytest.raises(st.SettingsError, match=r"unknown key store\.'k+'… \(5,000 characters\)"):
        st.load(path)


def test_saving_over_an_unreadable_config_keeps_the_old_file_aside_byte_for_byte(tmp_path):
    path = _config(tmp_path, NESTED)
    aside = st.save(st.Settings(), path)
    assert aside is not None and aside.parent == tmp_path and aside.read_bytes() == NESTED
    assert st.load(path) == st.Settings()
    assert st.save(st.Settings(store_name="Again"), path) is None  # a readable file is simply replaced


def test_saving_over_a_folder_moves_the_folder_aside(tmp_path):
    path = tmp_path / "config.toml"
    (path / "inner").mkdir(parents=True)
    aside = st.save(st.Settings(), path)
    assert aside is not None and (aside / "inner").is_dir() and st.load(path) == st.Settings()


def test_read_toml_reads_decimals_for_the_tariffs(tmp_path):
    path = _config(tmp_path, b"[tariffs.a]\nrate = 0.65\n")
    assert st.read_toml(path, parse_float=Decimal) == {"tariffs": {"a": {"rate": Decimal("0.65")}}}
    assert st.read_toml(tmp_path / "missing.toml") is None
