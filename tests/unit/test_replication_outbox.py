"""The replication outbox on real SQLite: each change's record appended in the change's own transaction (a failing
write on either side leaves neither), seq gap-free, batches in order, answers settled, the cursor resumed, a
revoked device's personal data gone from the files, and both outboxes' records held by the real back office (on a
real PostgreSQL) with the same bytes."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.bills import Bill
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.replication.identity import identity_file, register
from app.replication.outbox import Outbox
from app.replication.sender import Sender
from app.replication.wire import Outcome, RecordKind, RecordResult, Stream, digest
from app.storage.fieldbook import Applied, EntryState, Fieldbook
from app.storage.journal import Journal
from app.storage.replica import TABLE
from tests.support.live_backoffice import URL, HeldRecord, live_backoffice
from tests.support.pg import pg_cluster, pg_dsn  # noqa: F401 - fixtures: a real PostgreSQL


@pytest.fixture
async def journal(tmp_path: Path):
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    await j.aclose()


@pytest.fixture
async def book(tmp_path: Path):
    b = Fieldbook(tmp_path / "fieldbook.sqlite3")
    yield b
    await b.aclose()


def a_sale(amount: str = "12.50", reference: str = "Ana Souza, table 4") -> Sale:
    return Sale.new(Money.parse(amount, "BRL"), "jpmorgan", reference, link_id="L1")


def rows(path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(f"SELECT * FROM {TABLE} ORDER BY seq").fetchall()
    finally:
        conn.close()


async def test_a_sale_change_appends_its_sale_and_event_records(journal: Journal) -> None:
    sale = a_sale()
    await journal.record(sale, "created")
    linked = sale.with_(request_id="R1", payload="000201").move(SaleStatus.LINKED)
    await journal.record(linked, "linked", link_id="L1")
    found = rows(journal.path)
    assert [(r["seq"], r["kind"]) for r in found] == [(1, "sale"), (2, "sale_event"), (3, "sale"), (4, "sale_event")]
    last_sale = json.loads(found[2]["payload"])
    assert last_sale["sale_id"] == sale.sale_id and last_sale["status"] == "linked" and last_sale["amount"] == "12.50"
    assert json.loads(found[3]["payload"])["detail"] == {"link_id": "L1"}
    assert all(r["sha256"] == digest(json.loads(r["payload"])) and r["state"] == "waiting" for r in found)
    assert len({r["record_id"] for r in found}) == 4


async def test_an_outbox_write_that_fails_takes_the_sale_with_it(journal: Journal) -> None:
    """A crash between the change and its record is impossible by construction: one transaction."""
    await journal.transaction(
        lambda c: c.execute(f"CREATE TRIGGER full BEFORE INSERT ON {TABLE} BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    )
    sale = a_sale()
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        await journal.record(sale, "created")
    assert await journal.get(sale.sale_id) is None and await journal.events(sale.sale_id) == []
    await journal.transaction(lambda c: c.execute("DROP TRIGGER full"))
    await journal.record(sale, "created")
    assert [r["seq"] for r in rows(journal.path)] == [1, 2]  # the rolled-back append left no gap


async def test_a_sale_write_that_fails_leaves_no_record(journal: Journal) -> None:
    await journal.transaction(
        lambda c: c.execute(
            "CREATE TRIGGER broken BEFORE INSERT ON sale_events BEGIN SELECT RAISE(ABORT, 'broken'); END"
        )
    )
    with pytest.raises(sqlite3.IntegrityError):
        await journal.record(a_sale(), "created")
    assert rows(journal.path) == []


async def test_refunds_and_their_end_are_records(journal: Journal) -> None:
    sale = a_sale().move(SaleStatus.LINKED).move(SaleStatus.SETTLED)
    await journal.record(sale, "settled")
    refund = {"refund_key": "K1", "refund_id": None, "amount_minor": 500, "status": "pending"}
    await journal.record_refund(sale, refund)
    assert await journal.close_refund(sale, "K1", "the provider rejected it")
    kinds = [r["kind"] for r in rows(journal.path)]
    assert kinds == ["sale", "sale_event", "sale", "sale_event", "refund", "sale", "sale_event", "refund"]
    asked, closed = (json.loads(r["payload"]) for r in rows(journal.path) if r["kind"] == "refund")
    assert asked == {"refund_key": "K1", "refund_id": None, "amount": "5.00", "status": "pending",
                     "sale_id": sale.sale_id, "currency": "BRL"}  # fmt: skip
    assert closed["status"] == "rejected" and closed["note"] == "the provider rejected it"


def bill(n: int) -> Bill:
    return Bill(f"B{n}", f"Maria da Silva {n}", f"Sítio Boa Vista {n}", f"M{n}", Decimal(1000), "residential")


async def test_a_reading_and_its_bill_states_are_records_without_the_customer(book: Fieldbook) -> None:
    await book.add_route("route.csv", [(bill(1), "BRL"), (bill(2), "BRL")])
    entry = await book.record(
        "B1", value=Decimal(1100), consumption=Decimal(100), charge=Money(8000, "BRL"), reset=False, due_date=None
    )
    await book.apply([Applied(entry.entry_id, "B1", EntryState.SYNCED, revision=2, amount=Money(8000, "BRL"))])
    await book.record(
        "B2", value=Decimal(1050), consumption=Decimal(50), charge=Money(4000, "BRL"), reset=False, due_date=None
    )
    await book.drop("B2", "meter unreadable")
    found = rows(book.path)
    assert [r["kind"] for r in found] == ["reading", "bill_state", "reading", "bill_state"]
    reading = json.loads(found[0]["payload"])
    assert reading["bill_id"] == "B1" and reading["value"] == "1100" and reading["charge"] == "80.00"
    assert json.loads(found[1]["payload"])["sync_state"] == "synced"
    assert json.loads(found[3]["payload"])["sync_state"] == "new"
    assert not any("Maria" in r["payload"] or "Sítio" in r["payload"] for r in found)


async def test_batches_in_seq_order_settled_by_answers_and_cursor(journal: Journal) -> None:
    for n in range(3):
        await journal.record(a_sale(f"{n + 1}.00"), "created")  # seq 1..6
    outbox = Outbox(journal, Stream.JOURNAL)
    first = await outbox.next_batch("dev-1", limit=4)
    assert [r.seq for r in first] == [1, 2, 3, 4] and {r.device_id for r in first} == {"dev-1"}
    assert first[0].kind is RecordKind.SALE and first[0].problem() == ""
    results = [
        RecordResult(Stream.JOURNAL, 1, Outcome.ACCEPTED),
        RecordResult(Stream.JOURNAL, 2, Outcome.DUPLICATE),
        RecordResult(Stream.JOURNAL, 3, Outcome.REFUSED, "unknown kind"),
        RecordResult(Stream.JOURNAL, 4, Outcome.CONFLICT, "other bytes"),
        RecordResult(Stream.FIELDBOOK, 5, Outcome.ACCEPTED),  # another stream's: not this outbox's
    ]
    assert await outbox.settle(results, cursor=4) == 4
    counts = await outbox.counts()
    assert (counts.waiting, counts.acked, counts.set_aside, counts.last_seq) == (2, 2, 2, 6)
    assert counts.last_acked_at is not None
    aside = await outbox.set_aside_records()
    assert [(a.seq, a.reason) for a in aside] == [(3, "refused: unknown kind"), (4, "conflict: other bytes")]
    assert [r.seq for r in await outbox.next_batch("dev-1")] == [5, 6]


async def test_resume_acknowledges_unsent_up_to_the_cursor_and_moves_the_sequence_past_it(journal: Journal) -> None:
    await journal.record(a_sale(), "created")  # seq 1, 2
    outbox = Outbox(journal, Stream.JOURNAL)
    assert await outbox.resume(5) == 2  # the back office holds 1..5 (a journal put back from an older backup)
    assert await outbox.next_batch("dev-1") == []
    await journal.record(a_sale(), "created")
    assert [r.seq for r in await outbox.next_batch("dev-1")] == [6, 7]  # never a number the back office has
    assert await outbox.resume(3) == 0  # a lower cursor changes nothing
    assert [r.seq for r in await outbox.next_batch("dev-1")] == [6, 7]


async def test_forgetting_personal_data_removes_it_from_the_files(journal: Journal, book: Fieldbook) -> None:
    await journal.record(a_sale(reference="CANARY-REF-7f3e"), "created")
    await book.add_route("route.csv", [(bill(1), "BRL")])
    await Outbox(journal, Stream.JOURNAL).forget_personal_data()
    await Outbox(book, Stream.FIELDBOOK).forget_personal_data()
    [sale] = await journal.list_sales()
    assert sale.reference == ""
    assert json.loads(rows(journal.path)[0]["payload"])["reference"] == ""
    [stored] = await book.bills()
    assert stored.bill.customer == "" and stored.bill.address == ""
    for path in (journal.path, book.path):
        data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"CANARY-REF-7f3e" not in data and b"Maria da Silva" not in data


async def test_a_journal_of_version_4_gets_the_outbox_and_its_sales_stay(tmp_path: Path) -> None:
    from app.storage.journal import MIGRATIONS
    from app.storage.sqlite import Database

    path = tmp_path / "journal.sqlite3"

    class Previous(Database):  # the journal as the code before the back office made it (schema 4)
        migrations = MIGRATIONS[:4]

    old = Previous(path)
    await old.transaction(
        lambda c: c.execute(
            "INSERT INTO sales (sale_id, status, amount_minor, currency, provider, created_at, updated_at,"
            " amount_received_minor) VALUES ('s1', 'settled', 1250, 'BRL', 'depay', "
            "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', 1250)"
        )
    )
    await old.aclose()
    journal = Journal(path)
    try:
        assert await journal.schema_version() == 5 and (await journal.get("s1")) is not None
        assert rows(path) == []  # sales from before are not in the outbox: only changes from now on
        await journal.record(a_sale(), "created")
        assert [r["seq"] for r in rows(path)] == [1, 2]
    finally:
        await journal.aclose()


async def test_both_outboxes_reach_the_real_back_office_byte_for_byte(
    tmp_path: Path, journal: Journal, book: Fieldbook, pg_dsn: str, ring
) -> None:
    """What the journal and the field book append is what PostgreSQL holds: each stream's seqs, record ids and
    hashes, the sale in the sales projection, the bill's reading in the readings one."""
    sale = a_sale().move(SaleStatus.LINKED).move(SaleStatus.SETTLED)
    await journal.record(sale, "settled")
    await journal.record_refund(sale, {"refund_key": "K1", "refund_id": None, "amount_minor": 500, "status": "pending"})
    await book.add_route("route.csv", [(bill(1), "BRL")])
    await book.record(
        "B1", value=Decimal(1100), consumption=Decimal(100), charge=Money(8000, "BRL"), reset=False, due_date=None
    )
    async with live_backoffice(pg_dsn) as live:
        identity = await register(URL, live.held.enrol(), data_dir=tmp_path, client=live.client, kind="laptop")
        token = identity.token()
        assert token
        outboxes = [Outbox(journal, Stream.JOURNAL), Outbox(book, Stream.FIELDBOOK)]
        sender = Sender(identity, identity_file(tmp_path, False), outboxes, token=token, client=live.client)
        report = await sender.push()
        assert (report.error, report.waiting) == ("", 0)
        for path, stream in ((journal.path, Stream.JOURNAL), (book.path, Stream.FIELDBOOK)):
            mine = [HeldRecord(r["seq"], r["record_id"], r["sha256"]) for r in rows(path)]
            assert live.held.records(identity.device_id, stream) == mine and mine
        assert live.held.sale_ids() == [sale.sale_id]
        [(bill_id, value)] = live.held.readings(identity.device_id)
        assert (bill_id, value) == ("B1", "1100")
