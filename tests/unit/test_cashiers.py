"""Cashiers by name: the store (PIN hashes, lock-out, never deleted), the journal's migration, and the
controller recording who made each sale, cancel and refund (real SQLite, the in-process sandbox)."""

import sqlite3

import pytest

from app.config.pin import PinError, verify_pin
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.receipts.layout import receipt_lines, receipt_of
from app.runtime import open_runtime
from app.screens.journal_lines import event_line, sale_fields
from app.storage.cashiers import CashierError, Cashiers
from app.storage.journal import MIGRATIONS, Journal
from app.storage.sqlite import Database
from tests.support.till import demo_till, journal_row


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def no_pepper() -> bytes | None:
    return None


@pytest.fixture
async def store(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3")
    clock = Clock()
    yield Cashiers(journal, pepper=no_pepper, read=no_pepper, clock=clock)
    await journal.aclose()


async def test_a_pin_is_kept_only_as_a_hash(store):
    ana = await store.add("  Ana   Souza ", "4821")
    assert ana.name == "Ana Souza" and ana.active
    raw = await store.journal.read(lambda c: c.execute("SELECT pin_hash FROM cashiers").fetchone()[0])
    assert "4821" not in raw and raw.startswith("scrypt$v2$") and verify_pin("4821", raw)
    assert "4821" not in repr(ana) and "scrypt" not in repr(ana)
    assert (await store.verify("ana souza", "4821")).id == ana.id
    await store.set_pin(ana.id, "123456")
    with pytest.raises(PinError):
        await store.verify(ana.id, "4821")
    assert (await store.verify(ana.id, "123456")).name == "Ana Souza"


async def test_pins_of_4_to_6_digits_and_names_unique_among_active(store):
    for bad in ("123", "1234567", "12a4", ""):
        with pytest.raises(PinError, match="4 to 6 digits"):
            await store.add("Ana", bad)
    await store.add("Ana", "1111")
    with pytest.raises(CashierError, match="already a cashier called ANA"):
        await store.add("ANA", "2222")
    bruno = await store.add("Bruno", "2222")
    with pytest.raises(CashierError, match="already"):
        await store.rename(bruno.id, "ana")
    for bad in ("", "   ", "x" * 41):
        with pytest.raises(CashierError):
            await store.add(bad, "3333")
    assert [c.name for c in await store.roster()] == ["Ana", "Bruno"]


async def test_wrong_pins_lock_the_cashier_out_and_not_the_others(store):
    ana = await store.add("Ana", "1111")
    await store.add("Bruno", "2222")
    for left in (4, 3, 2, 1):
        with pytest.raises(PinError, match=f"{left} tr(y|ies) left"):
            await store.verify("Ana", "9999")
    with pytest.raises(PinError, match="locked for 300 s"):
        await store.verify("Ana", "9999")
    with pytest.raises(PinError, match="too many wrong PINs"):
        await store.verify("Ana", "1111")  # the right PIN too, while locked
    assert (await store.verify("Bruno", "2222")).name == "Bruno"
    fresh = Cashiers(store.journal, pepper=no_pepper, read=no_pepper, clock=store.clock)  # a restart
    with pytest.raises(PinError, match="too many wrong PINs"):
        await fresh.verify(ana.id, "1111")
    store.clock.now += 301
    assert (await fresh.verify(ana.id, "1111")).id == ana.id


async def test_deactivated_cashiers_stay_in_history_and_free_their_name(store):
    ana = await store.add("Ana", "1111")
    gone = await store.deactivate(ana.id)
    assert not gone.active and await store.any_active() is False
    assert await store.roster() == [] and [c.name for c in await store.roster(everyone=True)] == ["Ana"]
    with pytest.raises(CashierError, match="no active cashier"):
        await store.verify("Ana", "1111")
    with pytest.raises(CashierError, match="no longer an active"):
        await store.verify(ana.id, "1111")
    with pytest.raises(CashierError):
        await store.deactivate(ana.id)
    other = await store.add("Ana", "2222")  # a new Ana: another person, another id
    assert other.id != ana.id and (await store.get(ana.id)).name == "Ana"
    with pytest.raises(sqlite3.IntegrityError):  # never deleted while a sale names them (foreign key)
        await store.journal.transaction(
            lambda c: (
                c.execute(
                    "INSERT INTO sales (sale_id, status, amount_minor, currency, provider, created_at, updated_at,"
                    " cashier_id, cashier_name) VALUES ('s', 'settled', 1, 'BRL', 'x', 't', 't', ?, 'Ana')",
                    (ana.id,),
                ),
                c.execute("DELETE FROM cashiers WHERE id=?", (ana.id,)),
            )
        )


async def test_a_journal_of_the_previous_version_gets_the_cashier_columns(tmp_path):
    path = tmp_path / "journal.sqlite3"

    class Previous(Database):  # the journal as the code before cashiers made it (schema 3)
        migrations = MIGRATIONS[:3]

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
        assert await journal.schema_version() == len(MIGRATIONS) and len(MIGRATIONS) >= 4
        sale = await journal.get("s1")
        assert sale.status == SaleStatus.SETTLED and sale.cashier_id is None and sale.cashier == ""
        assert await Cashiers(journal).any_active() is False
    finally:
        await journal.aclose()


async def test_sale_and_cancel_record_the_cashier(tmp_path):
    async with demo_till(tmp_path) as rt:
        store = Cashiers(rt.journal, pepper=no_pepper, read=no_pepper)
        ana = await store.add("Ana", "1111")
        bruno = await store.add("Bruno", "2222")
        rt.controller.cashier = await store.verify("Ana", "1111")
        sale = await rt.controller.charge("7.00")
        assert sale.cashier_id == ana.id and sale.cashier == "Ana"
        rt.controller.cashier = await store.verify("Bruno", "2222")  # Bruno takes over and cancels it
        assert (await rt.controller.cancel()).status == SaleStatus.CANCELLED
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.cashier == "Ana"
        row = journal_row(rt, sale.sale_id)
        assert row["cashier_id"] == ana.id and row["cashier_name"] == "Ana"
        events = {e["kind"]: e["detail"] for e in await rt.journal.events(sale.sale_id)}
        assert events["created"] == {"cashier_id": ana.id, "cashier": "Ana"}
        assert events["cancel"] == {"cashier_id": bruno.id, "cashier": "Bruno"}
        await store.rename(ana.id, "Ana Souza")
        await store.deactivate(ana.id)
        assert (await rt.journal.get(sale.sale_id)).cashier == "Ana"  # the name at that time
        assert [s.sale_id for s in await store.last_sales(ana.id)] == [sale.sale_id]
        assert await store.last_sales(bruno.id) == []


async def test_nobody_signed_in_records_no_cashier(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("3.00")
        await rt.controller.cancel()
        assert sale.cashier_id is None and journal_row(rt, sale.sale_id)["cashier_id"] is None
        events = await rt.journal.events(sale.sale_id)
        assert "cancel" in [e["kind"] for e in events] and not any("cashier" in e["detail"] for e in events)


async def test_a_refund_records_who_made_it(tmp_path):
    rt = await open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05)
    try:
        rt.controller.refunds.poll_interval = 0.05
        store = Cashiers(rt.journal, pepper=no_pepper, read=no_pepper)
        ana, bruno = await store.add("Ana", "1111"), await store.add("Bruno", "2222")
        rt.controller.cashier = ana
        sale = await rt.controller.charge("20.00")
        await rt.sandbox.pay(sale.payload)
        await rt.controller.wait_closed(sale.sale_id, timeout=10)
        rt.controller.cashier = bruno
        await rt.controller.refund(sale.sale_id, "5.00")
        (row,) = await rt.journal.refunds(sale.sale_id)
        assert row["cashier_id"] == bruno.id and row["cashier_name"] == "Bruno"
        refund_events = [e for e in await rt.journal.events(sale.sale_id) if e["kind"] == "refund"]
        assert refund_events and all(e["detail"]["cashier"] == "Bruno" for e in refund_events)
        assert (await rt.journal.get(sale.sale_id)).cashier == "Ana"
    finally:
        await rt.aclose()


def test_the_journal_screen_and_the_receipt_name_the_cashier():
    sale = Sale.new(Money.parse("12.50", "BRL"), "depay", cashier_id=3, cashier="Ana")
    fields = dict(sale_fields(sale, lambda dt: dt))
    assert fields["Cashier"] == "Ana"
    assert "Cashier" not in dict(sale_fields(Sale.new(Money.parse("1.00", "BRL"), "depay"), lambda dt: dt))
    event = {"at": "2026-01-01T10:00:00+00:00", "kind": "cancel", "status": "cancelled"}
    line = event_line({**event, "detail": {"cashier_id": 4, "cashier": "Bruno"}}, "BRL", lambda dt: dt)
    assert line.endswith("(cashier Bruno)")
    lines = receipt_lines(receipt_of(sale, "Shop", ""), 32)
    assert any(line.startswith("Cashier") and line.endswith("Ana") for line in lines)
    anonymous = receipt_lines(receipt_of(Sale.new(Money.parse("1.00", "BRL"), "depay"), "Shop", ""), 32)
    assert not any(line.startswith("Cashier") for line in anonymous)


async def test_last_sales_at_a_glance_are_the_signed_in_cashiers(tmp_path):
    from app.screens.cashier_model import CashierModel
    from app.screens.last_sales_model import cashier_first

    async with demo_till(tmp_path) as rt:
        store = Cashiers(rt.journal, pepper=no_pepper, read=no_pepper)
        await store.add("Ana", "1111")
        await store.add("Bruno", "2222")
        mine = []
        for who, pin, amount in (("Ana", "1111", "1.00"), ("Bruno", "2222", "2.00"), ("Ana", "1111", "3.00")):
            rt.controller.cashier = await store.verify(who, pin)
            sale = await rt.controller.charge(amount)
            await rt.controller.cancel()
            await rt.controller.wait_closed(sale.sale_id, timeout=10)
            if who == "Ana":
                mine.append(sale.sale_id)
        model = CashierModel(store, rt.controller)
        fetch = cashier_first(model, rt.journal)
        assert len(await fetch(10)) == 3  # nobody signed in (a shop without cashiers): the till's last sales
        model.signed_in = await store.verify("Ana", "1111")
        assert [s.sale_id for s in await fetch(10)] == mine[::-1]  # Ana's own, newest first
