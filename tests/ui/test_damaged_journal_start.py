"""Issue 12, defect 2 in the GUI's start: a damaged journal is said in one line, not papered over by demo mode."""

from __future__ import annotations

import pytest

from app.runtime import JournalUnusable
from app.ui.app import open_or_fallback
from tests.support.damage import aside, journal_with_sales, scribble

pytestmark = pytest.mark.ui


async def test_a_damaged_journal_stops_the_start_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    path = tmp_path / "data" / "journal-demo.sqlite3"
    await journal_with_sales(path, 40)
    damaged = scribble(path)
    with pytest.raises(JournalUnusable) as refused:
        await open_or_fallback(demo=None, provider=None, home=tmp_path)
    text = str(refused.value)
    assert "is damaged" in text and "tillqr journal restore --demo" in text
    assert "configuration cannot be used" not in text  # not retried in demo mode as if config.toml were at fault
    [kept] = aside(path, "damaged")
    assert kept.read_bytes() == damaged and not path.exists()
