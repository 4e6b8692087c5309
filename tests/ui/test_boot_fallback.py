"""A provider that cannot be used at start never keeps the manager out of Settings."""

import asyncio
import socket

import keyring
import pytest

from app.config.secrets import set_secret
from app.screens.counter_standing import Standings, watch_provider
from app.screens.counter_words import NO_ANSWER
from app.ui.app import open_or_fallback
from tests.support.memkeyring import MemoryKeyring
from tests.support.waiting import until


async def test_unreachable_provider_at_boot_opens_the_shops_till_and_says_it_does_not_answer(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    (tmp_path / "config").mkdir(parents=True)
    (tmp_path / "config" / "config.toml").write_text(
        f'[provider]\nname = "jpmorgan"\nbase_url = "http://127.0.0.1:{port}/jpmorgan"\npayment_link_id = "L1"\n',
        encoding="utf-8",
    )
    before = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        set_secret("jpmorgan", "client_id", "client")
        set_secret("jpmorgan", "client_secret", "secret")
        runtime, problem = await open_or_fallback(demo=None, provider=None, home=tmp_path)
        try:
            # a morning network hiccup must not leave the shop's till in demo mode for the day
            assert not runtime.demo and problem is None
            assert runtime.journal.path.name == "journal.sqlite3"
            assert runtime.link is None and runtime.controller.link_id == "L1"
            standings = Standings(lambda: None)
            asking = asyncio.ensure_future(watch_provider(standings, runtime.provider.ping, waits=(60.0,)))
            await until(lambda: standings.text == str(NO_ANSWER))  # said at once, not at the first sale
            asking.cancel()
            await asyncio.gather(asking, return_exceptions=True)
        finally:
            await runtime.aclose()
    finally:
        keyring.set_keyring(before)


NESTED_CONFIG = ("a = " + "[" * 100_000 + "]" * 100_000 + "\n").encode()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (NESTED_CONFIG, "nested too deeply"),
        ('[store]\nname = "Caf\xe9"\n'.encode("latin-1"), "not UTF-8 text (line 2)"),
        (bytes(range(256)) * 4, "not UTF-8 text"),
        (b"[store]\nname = 5\n", "store.name must be text"),
    ],
    ids=["nested", "latin1", "binary", "wrong_type"],
)
def test_an_unreadable_config_opens_demo_mode_on_settings_and_keeps_the_file(window_for, tmp_path, content, said):
    home = tmp_path / "home"
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes(content)
    window = window_for(home)
    assert window.current_page() == "settings" and window.demo_mark is not None
    assert str(config) in window.settings.problem.text() and said in window.settings.problem.text()
    assert config.read_bytes() == content  # read, never changed


def test_a_folder_in_place_of_the_config_file_opens_settings_too(window_for, tmp_path):
    home = tmp_path / "home"
    config = home / "config" / "config.toml"
    config.mkdir(parents=True)
    window = window_for(home)
    assert window.current_page() == "settings" and "is a folder" in window.settings.problem.text()
    assert config.is_dir()
