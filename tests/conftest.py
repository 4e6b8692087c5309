"""Test-wide setup: headless Qt and a private TILLQR_HOME for every test."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("TILLQR_SANDBOX_URL", None)

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (seeded by each test's name), so a CI run is
# repeatable: a rare example cannot turn a submission red by chance. HYPOTHESIS_PROFILE=explore
# draws new examples each run, to look for such cases on purpose.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
# The slow suite (tests/fuzz) at length: thousands of bad inputs per target, new ones each run.
settings.register_profile("fuzz", max_examples=5000, derandomize=False, database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


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
