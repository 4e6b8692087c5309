"""The field book on real SQLite: a reading and its outbox entry in one transaction, keys stored before any send,
superseding, answers applied in batches, routes closed with their personal data gone from the file."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.bills import Bill
from app.domain.money import Money
from app.storage.fieldbook import Applied, EntryState, Fieldbook, FieldbookError, SyncState


def bill(n: int, **kw: object) -> Bill:
    fields: dict[str, object] = {
        "bill_id": f"B{n:03d}",
        "customer": f"Maria da Silva {n}",
        "address": f"Sítio Boa Vista {n}",
        "meter_id": f"M{n}",
        "previous_reading": Decimal(1000 + n),
        "tariff": "residential",
    }
    fields.update(kw)
    return Bill(**fields)  # type: ignore[arg-type]


async def at_provider(book: Fieldbook, *ids: str) -> None:
    """As an import leaves them: each bill's link, request and linking done."""
    await book.set_link([(b, f"link-{b}", f"payload-{b}") for b in ids])
    await book.set_created([(b, 0, Money(1000, "BRL")) for b in ids])
    await book.set_linked(ids)


@pytest.fixture
async def book(tmp_path: Path):
    b = Fieldbook(tmp_path / "fieldbook.sqlite3")
    yield b
    await b.aclose()


async def test_a_reading_and_its_outbox_entry_are_one_transaction(book: Fieldbook) -> None:
    await book.add_route("route.csv", [(bill(1), "BRL"), (bill(2), "BRL")])
    entry = await book.record(
        "B001", value=Decimal(1101), consumption=Decimal(100), charge=Money(8000, "BRL"), reset=False, due_date=None
    )
    assert len(entry.idempotency_key) == 32 and entry.amount == Money(8000, "BRL")
    [(pending, stored)] = await book.pending()
    assert pending.idempotency_key == entry.idempotency_key and stored.bill.bill_id == "B001"
    assert stored.sync_state is SyncState.PENDING and stored.reading == Decimal(1101)
    # a reading for a bill that is not there writes nothing at all
    with pytest.raises(FieldbookError, match="no bill B999"):
        await book.record(
            "B999", value=Decimal(1), consumption=Decimal(1), charge=Money(1, "BRL"), reset=False, due_date=None
        )
    counts = await book.counts()
    assert counts[SyncState.PENDING] == 1 and counts[SyncState.NEW] == 1


async def test_a_newer_reading_supersedes_an_unsent_entry_but_not_one_that_may_have_gone(book: Fieldbook) -> None:
    await book.add_route("r", [(bill(1), "BRL")])
    await at_provider(book, "B001")
    kw = {"consumption": Decimal(10), "reset": False, "due_date": None}
    first = await book.record("B001", value=Decimal(1011), charge=Money(100, "BRL"), **kw)  # type: ignore[arg-type]
    second = await book.record("B001", value=Decimal(1012), charge=Money(200, "BRL"), **kw)  # type: ignore[arg-type]
    assert [e.entry_id for e, _ in await book.pending()] == [second.entry_id]
    assert [e.entry_id for e, _ in await book.pending(claim=True)] == [second.entry_id]  # sent, answer unknown
    third = await book.record("B001", value=Decimal(1013), charge=Money(300, "BRL"), **kw)  # type: ignore[arg-type]
    assert [e.entry_id for e, _ in await book.pending()] == [second.entry_id, third.entry_id]
    assert first.idempotency_key not in {second.idempotency_key, third.idempotency_key}


async def test_answers_applied_set_the_revision_and_conflicts_hold_what_follows(book: Fieldbook) -> None:
    await book.add_route("r", [(bill(1), "BRL"), (bill(2), "BRL")])
    await at_provider(book, "B001", "B002")
    kw = {"consumption": Decimal(10), "reset": False, "due_date": None}
    a = await book.record("B001", value=Decimal(1011), charge=Money(100, "BRL"), **kw)  # type: ignore[arg-type]
    b = await book.record("B002", value=Decimal(1012), charge=Money(200, "BRL"), **kw)  # type: ignore[arg-type]
    await book.pending(claim=True)
    b2 = await book.record("B002", value=Decimal(1013), charge=Money(300, "BRL"), **kw)  # type: ignore[arg-type]
    await book.apply(
        [
            Applied(a.entry_id, "B001", EntryState.SYNCED, revision=1, amount=Money(100, "BRL")),
            Applied(b.entry_id, "B002", EntryState.CONFLICT, reason="paid at the provider"),
        ]
    )
    one, two = await book.bill("B001"), await book.bill("B002")
    assert one is not None and one.sync_state is SyncState.SYNCED and one.revision == 1
    assert two is not None and two.sync_state is SyncState.CONFLICT and two.reason == "paid at the provider"
    [(waiting, _)] = await book.pending()  # b2 waits with its bill for the agent's decision, not for the network
    assert waiting.entry_id == b2.entry_id and await book.pending(claim=True) == []
    await book.drop("B002", "customer paid at the office")
    two = await book.bill("B002")
    assert two is not None and two.sync_state is SyncState.NEW and "customer paid at the office" in two.reason
    assert two.reading is None


async def test_importing_the_same_route_again_resumes_and_another_bill_under_a_known_id_is_refused(
    book: Fieldbook,
) -> None:
    route, added = await book.add_route("r", [(bill(1), "BRL"), (bill(2), "BRL")])
    again, added_again = await book.add_route("r", [(bill(1), "BRL"), (bill(2), "BRL"), (bill(3), "BRL")])
    assert (added, added_again) == (2, 1) and again == route
    keys = {(b.link_key, b.request_id) for b in await book.bills()}
    with pytest.raises(FieldbookError, match="B002 is already in the field book"):
        await book.add_route("r", [(bill(4), "BRL"), (bill(2, customer="Someone else"), "BRL")])
    assert {(b.link_key, b.request_id) for b in await book.bills()} == keys  # nothing of the refused route stays
    assert await book.bill("B004") is None


async def test_closing_a_route_removes_names_and_addresses_from_the_file(book: Fieldbook, tmp_path: Path) -> None:
    await book.add_route("r", [(bill(1), "BRL")])
    await book.record(
        "B001", value=Decimal(1011), consumption=Decimal(10), charge=Money(100, "BRL"), reset=False, due_date=None
    )
    with pytest.raises(FieldbookError, match="still has a reading to sync"):
        await book.close_route()
    [(entry, _)] = await book.pending()
    await book.apply([Applied(entry.entry_id, "B001", EntryState.SYNCED, revision=1, amount=Money(100, "BRL"))])
    assert await book.close_route() == 1
    assert await book.bills() == []  # closed routes are not listed
    [kept] = await book.bills(open_routes_only=False)
    assert kept.bill.customer == "" and kept.bill.address == "" and kept.sync_state is SyncState.SYNCED
    await book.aclose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("fieldbook"))
    assert b"Maria da Silva" not in raw and b"Boa Vista" not in raw


def test_a_damaged_field_book_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fieldbook.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(FieldbookError, match="field book .* cannot be opened"):
        Fieldbook(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fieldbook.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=99")
    with pytest.raises(FieldbookError, match="newer TillQR"):
        Fieldbook(path)
