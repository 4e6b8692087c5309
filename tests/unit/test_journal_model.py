"""JournalModel without Qt: filters, search, totals, detail, refunds behind the PIN, live rows, export."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.config.pin import PinGate, hash_pin
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.runtime import open_runtime
from app.screens.journal_model import JournalModel
from app.storage.journal import Journal

UTC = UTC
NOW = datetime(2025, 3, 14, 15, 0, tzinfo=UTC)
PIN = "246810"


@pytest.fixture(scope="module")
def pin_hash() -> str:
    return hash_pin(PIN)


def gate(pin_hash: str, **kw) -> PinGate:
    return PinGate(pin_hash, **kw)


class FakeController:
    def __init__(self, available: bool = True):
        self.refunds = SimpleNamespace(available=available)
        self.provider = SimpleNamespace(name="depay")
        self.refunded = []

    async def refund(self, sale_id, amount):  # pragma: no cover - the fake's refunds are never reached
        self.refunded.append((sale_id, amount))
        raise AssertionError("no provider call expected")


def sale(
    amount: str,
    status: SaleStatus,
    *,
    at: datetime,
    received: str = "0",
    refunded: str = "0",
    ref: str = "",
    provider: str = "depay",
    rid: str | None = None,
) -> Sale:
    s = Sale.new(Money.parse(amount, "BRL"), provider, ref)
    return Sale(
        sale_id=s.sale_id,
        amount=s.amount,
        provider=provider,
        reference=ref,
        status=status,
        request_id=rid or f"req-{s.sale_id[:6]}",
        amount_received=Money.parse(received, "BRL", allow_zero=True),
        amount_refunded=Money.parse(refunded, "BRL", allow_zero=True),
        created_at=at,
        updated_at=at,
        closed_at=None if status.is_open else at + timedelta(minutes=1),
    )


@pytest.fixture
async def stocked(tmp_path, pin_hash):
    journal = Journal(tmp_path / "j.sqlite3")
    today, yesterday = NOW - timedelta(hours=2), NOW - timedelta(days=1)
    sales = {
        "paid": sale("12.50", SaleStatus.SETTLED, at=today, received="12.50", ref="Table 4"),
        "over": sale("10.00", SaleStatus.SETTLED, at=today + timedelta(minutes=5), received="15.00", ref="Over"),
        "expired": sale("7.00", SaleStatus.EXPIRED, at=today + timedelta(minutes=10)),
        "part_exp": sale("9.00", SaleStatus.EXPIRED, at=today + timedelta(minutes=12), received="4.00"),
        "open": sale("3.30", SaleStatus.LINKED, at=today + timedelta(minutes=20)),
        "partref": sale(
            "40.00",
            SaleStatus.PARTIALLY_REFUNDED,
            at=yesterday,
            received="40.00",
            refunded="15.00",
            rid="depay-ORDER-77",
        ),
        "refunded": sale(
            "5.00", SaleStatus.REFUNDED, at=yesterday + timedelta(hours=1), received="5.00", refunded="5.00"
        ),
    }
    for s in sales.values():
        await journal.record(s, "created")
        await journal.record(s, "status", provider_status="X")
    model = JournalModel(FakeController(), journal, gate(pin_hash), clock=lambda: NOW, tz=UTC)
    await model.load()
    yield model, sales
    journal.close()


async def test_newest_first_and_status_filters(stocked):
    model, sales = stocked
    assert [r.sale_id for r in model.rows][:2] == [sales["open"].sale_id, sales["part_exp"].sale_id]
    assert model.summary == "7 sales"
    model.set_status_filter("paid")
    assert {r.sale_id for r in model.rows} == {sales["paid"].sale_id, sales["over"].sale_id}
    model.set_status_filter("unpaid")
    assert {r.sale_id for r in model.rows} == {sales["expired"].sale_id, sales["part_exp"].sale_id}
    model.set_status_filter("refunded")
    assert {r.status for r in model.rows} == {"Refunded", "Part refunded"}
    model.set_status_filter("open")
    assert [r.status for r in model.rows] == ["Waiting"]
    model.set_status_filter("to_refund")
    assert {r.sale_id for r in model.rows} == {sales["over"].sale_id, sales["part_exp"].sale_id}
    assert {r.status for r in model.rows} == {"Paid · over-paid", "Expired · part paid"}
    assert model.summary == "2 of 7 sales"
    with pytest.raises(ValueError, match="unknown status filter"):
        model.set_status_filter("bogus")


async def test_day_filter_and_search(stocked):
    model, sales = stocked
    model.set_day_filter("yesterday")
    assert {r.sale_id for r in model.rows} == {sales["partref"].sale_id, sales["refunded"].sale_id}
    assert model.rows[0].time.startswith("2025-03-13")  # not today: the date is shown
    model.set_day_filter("today")
    assert len(model.rows) == 5 and model.rows[0].time == "13:20:00"
    model.set_day_filter("date", (NOW - timedelta(days=5)).date())
    assert model.rows == [] and model.summary == "0 of 7 sales"
    model.set_day_filter("all")
    model.set_search("table 4")
    assert [r.sale_id for r in model.rows] == [sales["paid"].sale_id]
    model.set_search("ORDER-77")  # the provider's request id
    assert [r.sale_id for r in model.rows] == [sales["partref"].sale_id]
    model.set_search("12,5")  # an amount as typed with a comma
    assert [r.sale_id for r in model.rows] == [sales["paid"].sale_id]
    model.set_search(sales["expired"].sale_id[:10])
    assert [r.sale_id for r in model.rows] == [sales["expired"].sale_id]


async def test_totals_of_the_selected_day(stocked):
    model, _ = stocked
    assert model.totals_title == "Today (2025-03-14)"
    lines = model.totals_text()
    assert lines[0].startswith("Waiting: 1 sale, BRL 3.30")
    assert "Paid: 2 sales, BRL 22.50, received BRL 27.50" in lines
    assert "Expired: 2 sales, BRL 16.00, received BRL 4.00" in lines
    model.set_day_filter("yesterday")
    assert model.totals_title.startswith("Yesterday")
    assert model.totals_text() == [
        "Refunded: 1 sale, BRL 5.00, refunded BRL 5.00",
        "Part refunded: 1 sale, BRL 40.00, refunded BRL 15.00",
    ]


async def test_detail_has_every_field_and_the_events(stocked):
    model, sales = stocked
    await model.select(sales["over"].sale_id)
    d = model.detail
    fields = dict(d.fields)
    assert fields["Amount"] == "BRL 10.00" and fields["Received"] == "BRL 15.00"
    assert fields["To give back"] == "BRL 5.00" and fields["Reference"] == "Over"
    assert fields["Request id"] == sales["over"].request_id and fields["Sale id"] == sales["over"].sale_id
    assert len(d.events) == 2 and "created → Paid" in d.events[0] and "provider status X" in d.events[1]
    assert d.refunds == []
    await model.select(None)
    assert model.detail is None


async def test_refund_refusals_before_any_pin(stocked, pin_hash):
    model, sales = stocked
    await model.select(sales["expired"].sale_id)
    assert not await model.refund("", PIN)
    assert "Only paid sales" in model.message and model.message_level == "error"
    await model.select(sales["part_exp"].sale_id)
    assert "give it back through the provider" in model.refund_blocked()
    await model.select(sales["refunded"].sale_id)
    assert "only paid sales" in model.refund_blocked().lower()
    await model.select(sales["paid"].sale_id)
    assert model.refund_default() == "12.50"
    assert not await model.refund("12.51", PIN)
    assert model.message == "At most BRL 12.50 of this sale can be refunded, not BRL 12.51."
    assert not await model.refund("abc", PIN) and "not valid" in model.message
    assert model.controller.refunded == [] and model.pin.failures == 0  # no PIN asked, nothing sent
    model.controller.refunds.available = False
    assert not await model.refund("1", PIN) and "dashboard" in model.message


async def test_wrong_pins_lock_out(stocked, pin_hash):
    model, sales = stocked
    model.pin = gate(pin_hash, max_failures=2, lockout_s=60)
    await model.select(sales["paid"].sale_id)
    assert not await model.refund("1.00", "0000")
    assert model.message == "Refund refused: wrong PIN (1 try left)."
    assert not await model.refund("1.00", "0000")
    assert "locked for 60 s" in model.message
    assert not await model.refund("1.00", PIN)  # even the right one, while locked
    assert "too many wrong PINs" in model.message
    assert model.controller.refunded == []


async def test_export_writes_the_filtered_rows(stocked, tmp_path):
    model, sales = stocked
    model.set_status_filter("unpaid")
    out = tmp_path / "day.csv"
    assert await model.export(out) == 2
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["sale_id"] for r in rows} == {sales["expired"].sale_id, sales["part_exp"].sale_id}
    assert model.message == f"Exported 2 sales to {out}."
    assert await model.export(tmp_path / "missing" / "x.csv") is None
    assert model.message_level == "error" and "could not be written" in model.message


# -- on the real controller and the sandbox -------------------------------------------------


@pytest.fixture
async def depay(tmp_path):
    rt = await open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05)
    rt.controller.refunds.poll_interval = 0.05
    yield rt
    await rt.aclose()


async def paid(rt, amount: str) -> Sale:
    s = await rt.controller.charge(amount, "journal test")
    await rt.sandbox.pay(s.payload)
    return await rt.controller.wait_closed(s.sale_id, timeout=10)


async def test_refund_on_depay_after_the_pin_and_live_rows(depay, pin_hash):
    model = JournalModel(depay.controller, depay.journal, gate(pin_hash))
    unfollow = depay.controller.subscribe(model.on_event)  # what app.ui.bridge does, minus the Qt signal
    await model.load()
    assert model.rows == []
    s = await paid(depay, "100.00")
    row = [r for r in model.rows if r.sale_id == s.sale_id]  # live: from the controller's events
    assert row and row[0].status == "Paid" and row[0].received == "ARS 100.00"
    await model.select(s.sale_id)
    assert model.can_refund
    assert not await model.refund("30.00", "1111")
    assert model.message.startswith("Refund refused: wrong PIN")
    assert await depay.journal.refunds(s.sale_id) == []
    assert await model.refund("30.00", PIN), model.message
    assert model.rows[0].status == "Part refunded" and model.rows[0].refunded == "ARS 30.00"
    assert "partially_refunded" in dict(model.detail.fields)["Status"]
    assert any("refund →" in e for e in model.detail.events)
    assert len(model.detail.refunds) == 1 and "30.00" in model.detail.refunds[0]
    assert model.refund_default() == "70.00"
    assert await model.refund("", PIN), model.message  # the rest
    assert model.rows[0].status == "Refunded" and model.message.endswith("the sale is now refunded.")
    stored = await depay.journal.get(s.sale_id)
    assert stored.status == SaleStatus.REFUNDED
    assert "Nothing is left" in model.refund_blocked() or "Only paid" in model.refund_blocked()
    unfollow()
    model.close()
    assert not model.ops.tasks


async def test_refund_refused_where_the_provider_cannot(tmp_path, pin_hash):
    rt = await open_runtime(demo=True, provider="jpmorgan", home=tmp_path, poll_interval=0.05)
    try:
        s = await rt.controller.charge("10.00")
        await rt.sandbox.pay(rt.link.payload)
        s = await rt.controller.wait_closed(s.sale_id, timeout=10)
        model = JournalModel(rt.controller, rt.journal, gate(pin_hash))
        await model.load()
        await model.select(s.sale_id)
        assert not model.can_refund
        assert not await model.refund("", PIN)
        assert "refunds cannot be made from TillQR" in model.message
        assert await rt.journal.refunds(s.sale_id) == []
    finally:
        await rt.aclose()


async def test_a_released_journal_keeps_no_sales_and_reads_them_all_again(depay, pin_hash):
    """A till runs for days: the journal screen, hidden behind the counter, must not keep every sale."""
    model = JournalModel(depay.controller, depay.journal, gate(pin_hash))
    depay.controller.subscribe(model.on_event)  # the one route of core events (app/ui/bridge.py in the GUI)
    await model.load()
    first = await paid(depay, "10.00")
    assert [s.sale_id for s in model.sales] == [first.sale_id]
    model.release()
    second = await paid(depay, "11.00")
    assert model.sales == [] and not model.loaded  # the live events of a hidden page add nothing
    await model.load()
    assert [s.sale_id for s in model.sales] == [second.sale_id, first.sale_id]
    model.close()
