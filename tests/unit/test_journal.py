import sqlite3

import pytest

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.storage.journal import MIGRATIONS, Journal, JournalError


@pytest.fixture
async def journal(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    yield j
    await j.aclose()


def a_sale(amount="12.50") -> Sale:
    return Sale.new(Money.parse(amount, "BRL"), "jpmorgan", "table 4", link_id="L1")


async def test_round_trip_and_events(journal):
    s = a_sale()
    await journal.record(s, "created")
    s2 = s.with_(request_id=s.sale_id, payload="000201...").move(SaleStatus.LINKED)
    await journal.record(s2, "linked", link_id="L1")
    assert await journal.get(s.sale_id) == s2
    events = await journal.events(s.sale_id)
    assert [e["kind"] for e in events] == ["created", "linked"]
    assert [e["status"] for e in events] == ["pending", "linked"] and events[1]["detail"] == {"link_id": "L1"}


async def test_open_sales_are_those_not_closed(journal):
    from app.domain.sale import utcnow

    a, b = a_sale("1.00"), a_sale("2.00")
    await journal.record(a, "created")
    await journal.record(b.move(SaleStatus.CANCELLED).with_(closed_at=utcnow(), unlinked=True), "closed")
    assert [s.sale_id for s in await journal.open_sales()] == [a.sale_id]
    assert {s.sale_id for s in await journal.list_sales()} == {a.sale_id, b.sale_id}


async def test_pragmas_and_schema_version(tmp_path):
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    assert await j.schema_version() == len(MIGRATIONS)
    await j.aclose()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()


async def test_reopen_keeps_data(tmp_path):
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    s = a_sale()
    await j.record(s, "created")
    await j.aclose()
    j2 = Journal(path)
    assert await j2.get(s.sale_id) == s
    await j2.aclose()


def test_newer_schema_is_refused_clearly(tmp_path):
    path = tmp_path / "j.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(JournalError, match="newer TillQR"):
        Journal(path)


def test_garbage_file_is_refused_clearly(tmp_path):
    path = tmp_path / "j.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError, match="cannot be opened"):
        Journal(path)


async def test_database_constraint_rejects_nonpositive_amount(journal):
    s = a_sale().with_(amount=Money(0, "BRL"))
    with pytest.raises(sqlite3.IntegrityError):
        await journal.record(s, "created")
    assert await journal.get(s.sale_id) is None  # the failed transaction left nothing behind


async def test_kv(journal):
    assert await journal.get_value("k") is None
    await journal.set_value("k", "v1")
    await journal.set_value("k", "v2")
    assert await journal.get_value("k") == "v2"


async def test_v1_journal_migrates_and_keeps_its_sales(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for stmt in filter(str.strip, MIGRATIONS[0].split(";")):
        conn.execute(stmt)
    conn.execute("PRAGMA user_version=1")
    conn.execute(
        "INSERT INTO sales (sale_id, status, amount_minor, currency, provider, created_at, updated_at,"
        " amount_received_minor) VALUES ('s1', 'settled', 1250, 'BRL', 'jpmorgan', "
        "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', 1250)"
    )
    conn.commit()
    conn.close()
    j = Journal(path)
    try:
        assert await j.schema_version() == len(MIGRATIONS) >= 2
        sale = await j.get("s1")
        assert sale.status == SaleStatus.SETTLED and str(sale.received) == "12.50" and str(sale.refunded) == "0.00"
        assert await j.refunds("s1") == [] and await j.pending_refunds() == []
    finally:
        await j.aclose()


async def test_overpaid_and_refundable_are_derived(journal):
    s = a_sale("10.00").move(SaleStatus.LINKED).move(SaleStatus.SETTLED, amount_received=Money.parse("12.00", "BRL"))
    await journal.record(s, "status")
    back = await journal.get(s.sale_id)
    assert str(back.overpaid) == "2.00" and str(back.refundable) == "12.00"


async def test_a_refund_and_the_sale_it_changes_are_one_transaction(journal, tmp_path):
    """A crash between the refund row and the sale's new totals must not leave one without the other."""
    paid = (
        a_sale("10.00")
        .with_(request_id="R1")
        .move(SaleStatus.LINKED)
        .move(SaleStatus.SETTLED, amount_received=Money.parse("10.00", "BRL"))
    )
    await journal.record(paid, "settled")
    entry = {"refund_key": "k1", "amount_minor": 300, "status": "pending"}
    await journal.record_refund(paid, entry)
    # The sale write fails (as a crash would stop it) after the refund row was written in the same call.
    conn = sqlite3.connect(tmp_path / "j.sqlite3")
    conn.execute("CREATE TRIGGER boom BEFORE INSERT ON sale_events BEGIN SELECT RAISE(ABORT, 'crash'); END")
    conn.commit()
    refunded = paid.move(SaleStatus.PARTIALLY_REFUNDED, amount_refunded=Money.parse("3.00", "BRL"))
    with pytest.raises(sqlite3.DatabaseError, match="crash"):
        await journal.record_refund(refunded, {**entry, "status": "partially_refunded"})
    assert [r["status"] for r in await journal.refunds(paid.sale_id)] == ["pending"]  # still to be resumed
    assert (await journal.get(paid.sale_id)).status == SaleStatus.SETTLED
    conn.execute("DROP TRIGGER boom")
    conn.commit()
    conn.close()
    await journal.record_refund(refunded, {**entry, "status": "partially_refunded"})
    assert [r["status"] for r in await journal.refunds(paid.sale_id)] == ["partially_refunded"]
    assert (await journal.get(paid.sale_id)).refunded == Money.parse("3.00", "BRL")
