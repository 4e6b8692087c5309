"""A Depay refund left REJECTED: pending (Depay calls it not final) until the manager closes it with a note;
closed, it is ``rejected``, final, and the sale's next refund goes through (issue 12, defect 10)."""

import sqlite3

import pytest

from app.checkout.refunds import RefundError
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.runtime import open_runtime
from app.storage.journal import MIGRATIONS, Journal


@pytest.fixture
async def depay(tmp_path):
    rt = await open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05)
    rt.controller.refunds.poll_interval = 0.05
    rt.controller.refunds.follow_for = 5.0
    yield rt
    await rt.aclose()


async def rejected_refund(rt) -> tuple[Sale, dict]:
    sale = await rt.controller.charge("40.00", "refund test")
    await rt.sandbox.pay(sale.payload)
    sale = await rt.controller.wait_closed(sale.sale_id, timeout=10)
    with pytest.raises(RefundError, match="may still retry it.*--close"):
        await rt.controller.refund(sale.sale_id, "2.89")  # the sandbox rejects amounts ending in 9
    [row] = await rt.journal.refunds(sale.sale_id)
    assert (row["status"], row["provider_status"]) == ("pending", "REJECTED")
    return sale, row


async def test_a_rejected_depay_refund_no_longer_blocks_the_sale_for_ever(depay):
    sale, row = await rejected_refund(depay)
    refunds = depay.controller.refunds
    with pytest.raises(RefundError, match=rf"not confirmed yet.*--close {row['refund_id']}"):
        await depay.controller.refund(sale.sale_id, "10.00")
    closed = await refunds.close(sale.sale_id, row["refund_id"], "Depay support: refund failed,\nnothing was sent")
    assert (closed.status, closed.refund, closed.sale_id) == ("rejected", row["refund_id"], sale.sale_id)
    assert closed.note == "Depay support: refund failed, nothing was sent" and closed.closed_at  # one line
    assert await depay.journal.pending_refunds() == []
    assert await refunds.resume() == []  # a start-up no longer looks at it
    again = await depay.controller.refund(sale.sale_id, "10.00")  # the next refund takes the next turn
    assert again.status == SaleStatus.PARTIALLY_REFUNDED and str(again.refunded) == "10.00"
    events = await depay.journal.events(sale.sale_id)
    [mark] = [e for e in events if e["kind"] == "refund_closed"]
    assert mark["detail"]["note"] == closed.note and mark["detail"]["refund_id"] == row["refund_id"]


async def test_closing_a_refund_is_refused_in_words(depay):
    sale, row = await rejected_refund(depay)
    refunds = depay.controller.refunds
    with pytest.raises(RefundError, match="note"):
        await refunds.close(sale.sale_id, row["refund_id"], " \t\n")
    with pytest.raises(RefundError, match="at most 500"):
        await refunds.close(sale.sale_id, row["refund_id"], "x" * 501)
    with pytest.raises(RefundError, match=rf"no refund nope \(its refunds: {row['refund_id']}\)"):
        await refunds.close(sale.sale_id, "nope", "checked")
    with pytest.raises(RefundError, match="no sale"):
        await refunds.close("no-such-sale", row["refund_id"], "checked")
    assert (await depay.journal.refunds(sale.sale_id))[0]["status"] == "pending"  # nothing was written
    await refunds.close(sale.sale_id, row["refund_key"], "checked")  # by TillQR's key too
    with pytest.raises(RefundError, match="is rejected: only a refund still pending"):
        await refunds.close(sale.sale_id, row["refund_id"], "again")


async def test_a_journal_from_before_the_note_column_gets_it(tmp_path):
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        conn.executescript(step)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    journal = Journal(path)
    try:
        sale = Sale.new(Money.parse("5.00", "ARS"), "old")
        await journal.record(sale, "created")
        await journal.record_refund(sale, {"refund_key": "k1", "amount_minor": 100, "status": "pending"})
        assert await journal.schema_version() == len(MIGRATIONS)
        assert await journal.close_refund(sale, "k1", "checked with the provider")
        assert not await journal.close_refund(sale, "k1", "twice")  # only a pending one
        [row] = await journal.refunds(sale.sale_id)
        assert (row["status"], row["note"]) == ("rejected", "checked with the provider")
    finally:
        await journal.aclose()
