"""The field screen's model, without Qt, against a real FieldService: a Fieldbook in tmp_path, the demo
tariffs, and the J.P. Morgan client on the in-process sandbox (faults through ``/_sandbox/faults``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.tariffs import compute_charge
from app.screens.field_model import Connection, FieldModel
from app.screens.operations import Level
from app.storage.fieldbook import SyncState
from tests.support.fieldsetup import FieldKit, Ticks, field_kit
from tests.support.waiting import until

FIRST, SECOND, THIRD = "QXB-2507-0001", "QXB-2507-0002", "QXB-2507-0003"  # previous readings 4821, 13907, 762


@pytest.fixture
async def kit(tmp_path):
    async with field_kit(tmp_path / "home") as made:
        yield made


async def model_on(kit: FieldKit, **kw) -> FieldModel:
    await kit.import_demo_route()
    model = kit.model(**kw)
    await model.load()
    return model


async def type_and_record(model: FieldModel, reading: str) -> bool:
    model.set_text(reading)
    return await model.record()


async def test_readings_recorded_offline_wait_then_sync_when_the_network_is_back(kit):
    model = await model_on(kit)
    assert model.selected == FIRST  # the first bill to read
    assert model.connection is Connection.ONLINE  # the import's calls were answered: known, not guessed

    await kit.offline()
    assert await model.tick() is None  # the probe failed: no sync tried
    assert model.online is False and model.connection is Connection.OFFLINE
    assert model.banner.title == "Offline"

    for reading in ("5012", "14100", "900"):
        assert await type_and_record(model, reading)
    assert model.selected == "QXB-2507-0004"  # each Enter went on to the next bill to read
    assert model.pending == 3
    assert model.banner.title == "Offline" and "3 readings waiting to sync" in model.banner.detail
    assert [r.sync_state for r in model.rows[:4]] == [SyncState.PENDING] * 3 + [SyncState.NEW]

    await model.sync()  # Ctrl+S while offline: nothing lost
    assert model.report is not None and model.report.offline and model.report.pending == 3
    assert "could not be reached" in model.last_sync and model.message_level == Level.WARNING
    assert model.pending == 3 and model.online is False

    await kit.online()
    report = await model.tick()  # the periodic probe finds the network: it syncs by itself
    assert report is not None and report.synced == 3 and report.pending == 0
    assert model.online is True and model.pending == 0
    assert model.banner.title == "Online" and "nothing waiting" in model.banner.detail
    assert model.last_sync == "Sync done: 3 synced."
    assert [r.sync_state for r in model.rows[:3]] == [SyncState.SYNCED] * 3
    state = await kit.state()
    for row in model.rows[:3]:  # the provider asks exactly the charge computed from each reading
        assert row.request_id is not None and row.base_charge is not None
        assert state[row.request_id]["amount"] == str(row.base_charge)


async def test_the_charge_is_shown_as_the_reading_is_typed(kit):
    model = await model_on(kit)
    row = model.current
    assert row is not None and row.bill.previous_reading == Decimal(4821)
    assert not model.preview.ok and model.preview.problem == ""  # nothing typed yet
    model.set_text("50")
    assert model.preview.problem and model.preview.confirmable  # lower than the previous: look again
    model.set_text("5012")
    preview = model.preview
    assert preview.ok and preview.problem == ""
    expected = compute_charge(kit.service.tariffs["residential"], Decimal(191))
    assert preview.charge == expected
    assert [line.label for line in preview.charge.lines] == [line.label for line in expected.lines]


async def test_a_questioned_reading_is_refused_until_the_agent_confirms_it(kit):
    model = await model_on(kit)
    model.set_text("400")  # lower than 4821 (a replaced meter that counted 400 kWh, once confirmed)
    assert not await model.record()
    assert model.message_level == Level.ERROR and "Ctrl+R" in model.message
    assert model.pending == 0 and model.selected == FIRST  # nothing written, still on the bill

    model.set_confirm(True)  # the meter rolled over or was replaced
    assert model.preview.ok
    model.set_text("401")  # another number: the confirmation is asked again
    assert not model.confirm_reset and not model.preview.ok
    model.set_confirm(True)
    assert await model.record()
    assert model.pending == 1 and model.selected == SECOND

    model.set_text("abc")
    assert not model.preview.confirmable  # not a number: nothing to confirm
    model.set_confirm(True)
    assert not model.confirm_reset
    model.clear()
    assert model.text == "" and model.message == ""


async def test_search_finds_bills_and_the_arrows_move_in_what_it_found(kit):
    model = await model_on(kit)
    await model.set_query("sao sebastiao")  # accents and case do not matter
    assert [r.bill.bill_id for r in model.rows] == [THIRD]
    assert model.summary.startswith("1 of 24 bills")
    await model.set_query("RM-1")
    ids = [r.bill.bill_id for r in model.rows]
    assert len(ids) > 3 and model.selected in ids
    model.select(ids[0])
    model.move(1)
    assert model.selected == ids[1]
    model.move(-5)
    assert model.selected == ids[0]  # stays at the end
    await model.set_query("")
    assert len(model.rows) == 24


async def test_a_recorded_bill_is_passed_over_when_going_on_to_the_next(kit):
    model = await model_on(kit, auto_sync=False)
    model.select(SECOND)
    assert await type_and_record(model, "14100")
    assert model.selected == THIRD
    model.select(FIRST)
    assert await type_and_record(model, "5012")
    assert model.selected == THIRD  # SECOND already has its reading


async def test_a_conflict_is_reported_and_resolved_by_the_agent(kit):
    model = await model_on(kit)
    await kit.offline()
    await model.tick()
    assert await type_and_record(model, "5012")
    assert await type_and_record(model, "14100")
    await kit.online()
    paid = next(r for r in model.rows if r.bill.bill_id == FIRST)
    answer = await kit.sandbox.post("/_sandbox/pay", json={"payload": paid.payload})  # paid before the sync
    assert answer.status_code == 200, answer.text

    report = await model.sync()
    assert report is not None and report.synced == 1 and [b for b, _ in report.conflicts] == [FIRST]
    assert "1 bill in conflict" in model.last_sync and "1 bill in conflict" in model.banner.detail
    model.select(FIRST)
    assert model.in_conflict and "paid at the provider" in model.current.reason

    assert not await model.drop("   ")  # a note is needed
    assert model.message_level == Level.ERROR and model.in_conflict
    assert await model.reissue()
    assert model.current.sync_state is SyncState.PENDING
    await until(lambda: model.pending == 0 and not model.syncing)  # online: it went at once
    assert model.current.sync_state is SyncState.SYNCED and model.conflicts == 0


async def test_a_conflict_may_be_dropped_with_a_note(kit):
    model = await model_on(kit, auto_sync=False)
    assert await type_and_record(model, "5012")
    row = model.rows[0]
    changed = await kit.sandbox.post("/_sandbox/change", json={"request_id": row.request_id, "amount": "99.00"})
    assert changed.status_code == 200, changed.text
    await model.sync()
    model.select(FIRST)
    assert model.in_conflict and "changed at the provider" in model.current.reason
    assert await model.drop("customer disputes the reading; back next month")
    assert model.current.sync_state is not SyncState.CONFLICT and model.conflicts == 0
    assert (await kit.state())[row.request_id]["amount"] == "99.00"  # never overwritten


async def test_the_watch_probes_on_its_timer_and_syncs_by_itself(kit):
    ticks = Ticks()
    model = await model_on(kit, timer=ticks)
    await kit.offline()
    model.start()
    await until(lambda: ticks.sleeping == 1)  # loaded, probed once, now waiting for the next round
    assert model.connection is Connection.OFFLINE
    assert await type_and_record(model, "5012")
    assert model.pending == 1  # offline: it waits

    await kit.online()
    ticks.tick()  # 30 s later (on the test's word): probe, online, sync
    await until(lambda: ticks.sleeping == 2)
    assert model.pending == 0 and model.online is True
    assert await type_and_record(model, "14100")  # online: a reading goes at once, no tick needed
    await until(lambda: model.pending == 0 and model.rows[1].sync_state is SyncState.SYNCED)
    await model.aclose()


async def test_an_empty_demo_book_offers_the_demo_route(kit):
    model = kit.model(demo=True)
    await model.load()
    assert model.can_load_demo and model.total == 0 and model.current is None
    assert model.connection is Connection.UNKNOWN and "Checking" in model.banner.title  # no call yet: no guess
    report = await model.load_demo_route()
    assert report is not None and report.bills == 24 and report.complete == 24
    assert model.total == 24 and not model.can_load_demo
    assert model.selected == FIRST and "Demo route loaded" in model.message
    assert not FieldModel(kit.service, demo=False).can_load_demo  # a store imports its own routes


async def test_keys_typed_before_a_write_ends_go_to_the_next_bill(kit):
    model = await model_on(kit, auto_sync=False)
    model.set_text("5012")
    first = model.record_now()  # Enter: checked and moved on now, written meanwhile
    assert first is not None and model.selected == SECOND and model.text == ""
    model.set_text("14100")  # typed before the first write ended
    second = model.record_now()
    assert second is not None and model.selected == THIRD
    assert await first and await second
    assert [(r.bill.bill_id, r.reading) for r in model.rows[:2]] == [(FIRST, Decimal(5012)), (SECOND, Decimal(14100))]
    model.set_text("1")  # refused at once (lower than 762): no write, still on the bill
    assert model.record_now() is None and model.selected == THIRD and model.pending == 2
