"""A provider that cannot be used at start never keeps the manager out of Settings."""

import socket

import keyring

from app.config.secrets import set_secret
from app.ui.app import open_or_fallback
from tests.support.memkeyring import MemoryKeyring


async def test_unreachable_provider_at_boot_falls_back_to_demo_with_the_problem(tmp_path):
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
        set_secret("jpmorgan", "access_token", "token")
        runtime, problem = await open_or_fallback(demo=None, provider=None, home=tmp_path)
        try:
            assert runtime.demo and problem and "could not be used at start" in problem
            assert runtime.journal.path.name == "journal-demo.sqlite3"
        finally:
            await runtime.aclose()
    finally:
        keyring.set_keyring(before)
