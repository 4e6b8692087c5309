"""The end-of-shift report (app.receipts.shift) from a real SQLite journal filled through the real controller on
the in-process sandbox: settled, refunded, cancelled, expired and open sales; its CSV; closing a shift."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.sale import SaleStatus, utcnow
from app.receipts.shift import (
    CSV_COLUMNS,
    SHIFT_KEY,
    ShiftStart,
    close_shift,
    load_report,
    report_lines,
    shift_start,
    write_csv,
)
from app.runtime import open_runtime
from app.storage.journal import Journal


async def _paid(rt, amount: str):
    sale = await rt.controller.charge(amount, "shift test")
    await rt.sandbox.pay(sale.payload)
    return await rt.controller.wait_closed(sale.sale_id, timeout=10)


@pytest.fixture
async def shift_journal(tmp_path):
    """The demo journal after a morning: on Depay two paid sales (one partly refunded), one cancelled and one
    left open; on J.P. Morgan one that expired. The shift was opened (closed before) just before them."""
    started = utcnow() - timedelta(seconds=1)
    depay = await open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05)
    try:
        await depay.journal.set_value(SHIFT_KEY, started.isoformat())
        depay.controller.refunds.poll_interval = 0.05
        assert (await _paid(depay, "20.00")).status is SaleStatus.SETTLED
        part = await _paid(depay, "30.00")
        assert (await depay.controller.refund(part.sale_id, "10.00")).status is SaleStatus.PARTIALLY_REFUNDED
        await depay.controller.charge("5.00")
        assert (await depay.controller.cancel()).status is SaleStatus.CANCELLED
    finally:
        await depay.aclose()
    jpm = await open_runtime(demo=True, provider="jpmorgan", home=tmp_path, duration_s=1, poll_interval=0.05)
    try:
        sale = await jpm.controller.charge("3.00")
        assert (await jpm.controller.wait_closed(sale.sale_id, timeout=10)).status is SaleStatus.EXPIRED
        await jpm.controller.charge("7.00")  # still waiting when the till closes: an open sale
    finally:
        await jpm.aclose()
    journal = Journal(tmp_path / "data" / "journal-demo.sqlite3")
    yield journal, started
    await journal.aclose()


async def test_the_shift_report_counts_and_totals_by_provider_and_status(shift_journal, tmp_path):
    journal, started = shift_journal
    report = await load_report(journal, tz=UTC)
    assert report.start is ShiftStart.LAST_CLOSE and report.since == started
    got = {
        (t.provider, t.status.value): (t.count, str(t.amount), str(t.received), str(t.refunded)) for t in report.totals
    }
    assert got == {
        ("depay", "settled"): (1, "20.00", "20.00", "0.00"),
        ("depay", "partially_refunded"): (1, "30.00", "30.00", "10.00"),
        ("depay", "cancelled"): (1, "5.00", "0.00", "0.00"),
        ("jpmorgan", "expired"): (1, "3.00", "0.00", "0.00"),
        ("jpmorgan", "linked"): (1, "7.00", "0.00", "0.00"),
    }
    assert [(r.provider, r.count, r.amount.display()) for r in report.refunds] == [("depay", 1, "ARS 10.00")]
    assert [str(s.amount) for s in report.open_sales] == ["7.00"]
    assert {c: str(m) for c, m in report.received().items()} == {"ARS": "50.00", "BRL": "0.00"}

    lines = report_lines(report, "Padaria Central", 48, tz=UTC)
    assert all(len(line) <= 48 for line in lines)
    text = "\n".join(lines)
    assert "  Paid (1)" in text and "Part refunded (1)" in text and "Expired (1)" in text
    assert any(line.startswith("Net") and line.endswith("ARS 40.00") for line in lines)
    assert any(line.startswith("Open sales") and line.endswith("1") for line in lines)

    path = tmp_path / "shift.csv"
    assert write_csv(report, path) == 7  # five totals, one refunds row, one open sale
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    # the last column, cashier, is empty: nobody signed in (a one-person shop), and no "cashier" rows
    assert ["sales", "depay", "partially_refunded", "ARS", "1", "30.00", "30.00", "10.00", ""] in rows
    assert ["refunds", "depay", "", "ARS", "1", "", "", "10.00", ""] in rows
    assert ["open", "jpmorgan", "linked", "BRL", "1", "7.00", "0.00", "0.00", ""] in rows
    assert report.by_cashier == () and "By cashier" not in lines


async def test_closing_the_shift_starts_an_empty_one(shift_journal):
    journal, _started = shift_journal
    report = await load_report(journal, tz=UTC)
    await close_shift(journal, report)
    after = await load_report(journal, tz=UTC)
    assert after.since == report.until and after.start is ShiftStart.LAST_CLOSE
    assert after.totals == () and after.refunds == ()
    assert len(after.open_sales) == 1  # still open: an open sale is reported until it ends
    assert "No sales in this shift." in report_lines(after, "Shop", 32)


async def test_before_any_report_was_closed_a_shift_starts_at_midnight(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    try:
        now = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
        assert await shift_start(journal, now=now, tz=UTC) == (datetime(2026, 11, 25, tzinfo=UTC), ShiftStart.MIDNIGHT)
    finally:
        await journal.aclose()
