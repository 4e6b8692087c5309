"""Test-wide setup: headless Qt, a private TILLQR_HOME for every test, and the neutral language."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("TILLQR_SANDBOX_URL", None)
# The suite expects the neutral words and formats ("BRL 12.50", ISO dates) whatever the machine's locale;
# a test that wants a language sets it (app.i18n.set_language, or LANG for a subprocess).
os.environ.pop("LANGUAGE", None)
os.environ.pop("LC_ALL", None)
os.environ.pop("LC_MESSAGES", None)
os.environ["LANG"] = "C.UTF-8"

import pytest
from hypothesis import settings

from app import i18n
from tests.support.catalogues import compile_stale

compile_stale()  # the .mo files of a fresh clone, when pytest runs without `make`

# Property tests draw the same examples on every run (seeded by each test's name), so a CI run is
# repeatable: a rare example cannot turn a submission red by chance. HYPOTHESIS_PROFILE=explore
# draws new examples each run, to look for such cases on purpose.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
# The slow suite (tests/fuzz) at length: thousands of bad inputs per target, new ones each run.
settings.register_profile("fuzz", max_examples=5000, derandomize=False, database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _language_put_back():
    """A test that switches the language leaves the next one the environment's (neutral), and no listener."""
    listeners = list(i18n._listeners)
    yield
    i18n._current = None  # read again from the environment at the next use
    i18n._held = False
    i18n._listeners[:] = listeners


@pytest.fixture(autouse=True)
def _tillqr_home(tmp_path, monkeypatch):
    home = tmp_path / "tillqr-home"
    monkeypatch.setenv("TILLQR_HOME", str(home))
    return home


@pytest.fixture
def ring():
    """An in-memory keyring for the test: credentials never reach the machine's own."""
    import keyring

    from tests.support.memkeyring import MemoryKeyring

    before = keyring.get_keyring()
    mem = MemoryKeyring()
    keyring.set_keyring(mem)
    yield mem
    keyring.set_keyring(before)
