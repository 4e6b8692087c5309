"""Import, offline readings and sync against the in-process sandbox: bulk calls of 25, exactly once, offline known
from a failed probe, conflicts reported with the provider's truth and never overwritten, and their resolution."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.fieldwork.route_csv import read_route
from app.fieldwork.sync import SyncProgress
from app.storage.fieldbook import Applied, Fieldbook, SyncState
from tests.support.field import Laptop, laptop
from tests.support.routes import reading_for, write_route


@pytest.fixture
async def lap(tmp_path: Path):
    async with laptop(tmp_path) as it:
        yield it


async def record_all(lap: Laptop, ids: list[str]) -> None:
    for i, bill_id in enumerate(ids, 1):
        await lap.service.record(bill_id, reading_for(i, 1000 + i))


async def test_import_makes_links_and_requests_in_bulk_calls_of_25_and_resumes_with_no_new_call(lap: Laptop) -> None:
    ids = await lap.import_route(60)
    assert await lap.calls("/payment-requests/bulk") == 3  # 25 + 25 + 10
    rows = await lap.service.bills()
    assert [r.bill.bill_id for r in rows] == ids and all(r.at_provider and r.payload for r in rows)
    state = await lap.requests()
    assert all(state[b]["linked_to"] and state[b]["status"] == "ACTIVE" and state[b]["revision"] == 0 for b in ids)
    before = await lap.calls()
    again = await lap.import_route(60)
    assert again == ids and await lap.calls() == before  # all there: nothing sent again


async def test_readings_recorded_offline_then_synced_exactly_once(lap: Laptop) -> None:
    ids = await lap.import_route(30)
    await lap.post("/_sandbox/faults", {"drop_rate": 1.0})
    await record_all(lap, ids)  # the network plays no part in recording
    seen: list[SyncProgress] = []
    offline = await lap.service.sync(seen.append)
    assert offline.offline and offline.exit_code == 3 and offline.pending == 30 and offline.synced == 0
    assert lap.service.online is False
    assert (await lap.service.counts())[SyncState.PENDING] == 30
    await lap.sandbox.delete("/_sandbox/faults")
    report = await lap.service.sync(seen.append)
    assert (report.synced, report.pending, report.conflicts, report.exit_code) == (30, 0, (), 0)
    assert seen[-1] == SyncProgress(done=30, total=30, synced=30, conflicts=0)
    state = await lap.requests()
    rows = {r.bill.bill_id: r for r in await lap.service.bills()}
    for bill_id in ids:
        assert state[bill_id]["revision"] == 1 and state[bill_id]["amount"] == str(rows[bill_id].base_charge)
        assert rows[bill_id].sync_state is SyncState.SYNCED
    before = await lap.calls()
    quiet = await lap.service.sync()
    assert quiet.synced == 0 and quiet.exit_code == 0 and await lap.calls() == before  # nothing pending: no call


async def test_paying_the_printed_qr_takes_exactly_the_charge_listed(lap: Laptop) -> None:
    ids = await lap.import_route(3)
    await record_all(lap, ids)
    await lap.service.sync()
    for row in await lap.service.bills():
        assert row.charge is not None and row.payload
        paid = await lap.post("/_sandbox/pay", {"payload": row.payload})
        assert paid["amount_paid"] == str(row.charge)


class FailingOnceBook(Fieldbook):
    """A field book whose first write of answers is lost, as if the process died right after the calls."""

    lost = False

    async def apply(self, results: list[Applied]) -> None:  # type: ignore[override] - same call, fails once
        if not self.lost:
            self.lost = True
            raise OSError("disk gone")
        await super().apply(results)


async def test_answers_lost_before_they_were_written_are_replayed_not_sent_twice(lap: Laptop, tmp_path: Path) -> None:
    ids = await lap.import_route(20)
    await record_all(lap, ids)
    await lap.book.aclose()
    lap.service.book = FailingOnceBook(lap.book.path)
    with pytest.raises(OSError, match="disk gone"):
        await lap.service.sync()
    assert (await lap.service.counts())[SyncState.PENDING] == 20  # the field book does not know they went
    report = await lap.service.sync()
    assert report.synced == 20 and report.exit_code == 0
    assert all(r["revision"] == 1 for r in (await lap.requests()).values())  # each updated once
    await lap.service.book.aclose()
    lap.book = lap.service.book


async def test_conflicts_are_reported_with_the_providers_truth_and_left_untouched(lap: Laptop) -> None:
    ids = await lap.import_route(5)
    rows = {r.bill.bill_id: r for r in await lap.service.bills()}
    await record_all(lap, ids)
    paid, changed, cancelled, fine = ids[0], ids[1], ids[2], ids[3:]
    await lap.post("/_sandbox/pay", {"payload": rows[paid].payload})  # the customer paid the minimum charge early
    await lap.post("/_sandbox/change", {"payload": rows[changed].payload, "amount": "99.00"})
    await lap.post("/_sandbox/cancel", {"payload": rows[cancelled].payload})
    report = await lap.service.sync()
    assert report.exit_code == 4 and report.synced == 2
    reasons = dict(report.conflicts)
    assert set(reasons) == {paid, changed, cancelled}
    assert "paid at the provider" in reasons[paid]
    assert "changed at the provider" in reasons[changed] and "99.00" in reasons[changed]
    assert "cancelled at the provider" in reasons[cancelled]
    state = await lap.requests()
    assert state[changed]["amount"] == "99.00" and state[changed]["revision"] == 1  # not overwritten
    assert state[paid]["status"] == "SETTLED" and state[cancelled]["status"] == "CANCELLED"
    assert all(state[b]["revision"] == 1 for b in fine)
    listed = {r.bill.bill_id: r for r in await lap.service.bills()}
    assert listed[paid].sync_state is SyncState.CONFLICT and listed[paid].reason == reasons[paid]
    again = await lap.service.sync()  # a conflict is the agent's to resolve: the next sync does not retry it
    assert again.synced == 0 and dict(again.conflicts) == reasons


async def test_a_conflict_resolved_by_reissue_charges_the_reading_on_the_same_printed_qr(lap: Laptop) -> None:
    ids = await lap.import_route(2)
    rows = {r.bill.bill_id: r for r in await lap.service.bills()}
    await record_all(lap, ids)
    await lap.post("/_sandbox/cancel", {"payload": rows[ids[0]].payload})
    await lap.post("/_sandbox/change", {"payload": rows[ids[1]].payload, "amount": "99.00"})
    await lap.service.sync()
    with pytest.raises(ValueError, match="a note"):
        await lap.service.drop(ids[1], "  ")
    dropped = await lap.service.drop(ids[1], "the office set the amount by phone")
    assert dropped.sync_state is SyncState.NEW and "by phone" in dropped.reason
    reissued = await lap.service.reissue(ids[0])
    assert reissued.sync_state is SyncState.PENDING
    report = await lap.service.sync()
    assert report.synced == 1 and report.exit_code == 0
    row = await lap.service.bill(ids[0])
    assert row is not None and row.sync_state is SyncState.SYNCED and row.charge is not None
    paid = await lap.post("/_sandbox/pay", {"payload": rows[ids[0]].payload})  # the QR printed before any of this
    assert paid["amount_paid"] == str(row.charge) and paid["request_id"] == row.request_id
    with pytest.raises(ValueError, match="not in conflict"):
        await lap.service.reissue(ids[0])


async def test_a_reissue_after_a_payment_asks_only_what_is_still_owed(lap: Laptop) -> None:
    [bill_id] = await lap.import_route(1)
    row = await lap.service.bill(bill_id)
    assert row is not None and row.payload
    minimum = (await lap.requests())[bill_id]["amount"]
    await lap.service.record(bill_id, "1400")
    await lap.post("/_sandbox/pay", {"payload": row.payload})
    await lap.service.sync()
    await lap.service.reissue(bill_id)
    assert (await lap.service.sync()).exit_code == 0
    now = await lap.service.bill(bill_id)
    assert now is not None and now.base_charge is not None
    state = (await lap.sandbox.get("/_sandbox/state")).json()["requests"]
    [second] = [r for r in state if r["id"] == now.request_id]
    assert Decimal(second["amount"]) == now.base_charge.amount - Decimal(minimum)
    assert now.charge is not None and now.charge.amount == Decimal(second["amount"])  # what the list says is owed
    paid = await lap.post("/_sandbox/pay", {"payload": row.payload})
    assert paid["amount_paid"] == str(now.charge)


async def test_dry_run_sends_nothing(lap: Laptop) -> None:
    ids = await lap.import_route(4)
    await record_all(lap, ids)
    before = await lap.calls()
    report = await lap.service.sync(dry_run=True)
    assert report.dry_run and report.pending == 4 and [p.bill_id for p in report.planned] == ids
    assert await lap.calls() == before


async def test_a_reading_for_a_bill_whose_import_did_not_finish_waits_for_it(lap: Laptop) -> None:
    await lap.post("/_sandbox/faults", {"drop_rate": 1.0})
    route = lap.home / "route.csv"
    ids = write_route(route, 3)
    bills = read_route(route, lap.service.tariffs)
    stopped = await lap.service.import_bills(bills, route)
    assert stopped.offline and stopped.exit_code == 3 and stopped.complete == 0
    await record_all(lap, ids)  # the agent reads the meters all the same
    await lap.sandbox.delete("/_sandbox/faults")
    early = await lap.service.sync()
    assert early.conflicts == () and set(early.waiting_import) == set(ids) and early.exit_code == 3
    assert (await lap.service.import_bills(bills, route)).exit_code == 0
    done = await lap.service.sync()
    assert done.synced == 3 and done.exit_code == 0
    state = await lap.requests()
    rows = {r.bill.bill_id: r for r in await lap.service.bills()}
    assert all(state[b]["amount"] == str(rows[b].base_charge) and state[b]["revision"] == 1 for b in ids)


class LosesCreatedOnce(Fieldbook):
    """A field book whose first record of created requests is lost (the import killed right after the bulk call)."""

    lost = False

    async def set_created(self, rows):  # type: ignore[no-untyped-def, override] - same call, fails once
        if not self.lost:
            self.lost = True
            raise OSError("killed")
        await super().set_created(rows)


async def test_an_import_killed_after_its_bulk_call_resumes_with_the_same_calls(lap: Laptop) -> None:
    route = lap.home / "route.csv"
    write_route(route, 30)
    bills = read_route(route, lap.service.tariffs)
    await lap.book.aclose()
    lap.service.book = LosesCreatedOnce(lap.book.path)
    with pytest.raises(OSError, match="killed"):
        await lap.service.import_bills(bills, route)
    again = await lap.service.import_bills(bills, route)  # the same bodies under the same keys: replays
    assert again.exit_code == 0 and again.refused == [] and again.complete == 30
    assert len(await lap.requests()) == 30  # nothing created twice
    await lap.service.book.aclose()
    lap.book = lap.service.book
