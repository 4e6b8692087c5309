"""The sender against a contract double of the back office (tests/support/backoffice_double.py) over httpx's ASGI
transport: every record kept once whatever fails (503, timeouts before and after the commit, answers that are not
JSON), acknowledged only after a 200, refused and conflicting records set aside while the queue goes on, 413
halved, 401 stops, 403 revoked forgets the customers, the cursor resumed. Waits run on a FakeTimer."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import httpx
import pytest

from app.domain.money import Money
from app.domain.sale import Sale
from app.replication.identity import DeviceIdentity, identity_file, load_identity, register
from app.replication.outbox import Outbox
from app.replication.sender import Sender, SenderBusy, hold_sender_lock
from app.replication.status import BackofficeState, backoffice_status, status_lines
from app.replication.wire import Record, RecordKind, Stream
from app.retry import BACKOFFICE_PUSH, FakeTimer
from app.storage.journal import Journal
from app.storage.replica import TABLE
from tests.support.backoffice_double import URL, BackofficeDouble, Fault, FaultyTransport


@pytest.fixture
def double() -> BackofficeDouble:
    return BackofficeDouble()


@pytest.fixture
def transport(double: BackofficeDouble) -> FaultyTransport:
    return FaultyTransport(double)


@pytest.fixture
async def client(transport: FaultyTransport):
    async with httpx.AsyncClient(transport=transport) as c:
        yield c


@pytest.fixture
async def journal(tmp_path: Path):
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    await j.aclose()


@pytest.fixture
async def identity(tmp_path: Path, double: BackofficeDouble, client: httpx.AsyncClient, ring) -> DeviceIdentity:
    return await register(URL, double.enrol(), data_dir=tmp_path, client=client, name="till 1")


def sender_for(
    identity: DeviceIdentity, journal: Journal, client: httpx.AsyncClient, tmp_path: Path, **kw: object
) -> tuple[Sender, FakeTimer]:
    timer = FakeTimer()
    token = identity.token()
    assert token
    sender = Sender(
        identity,
        identity_file(tmp_path, False),
        [Outbox(journal, Stream.JOURNAL)],
        token=token,
        client=client,
        timer=timer,
        rng=random.Random(7),
        **kw,  # type: ignore[arg-type]
    )
    return sender, timer


async def sales(journal: Journal, n: int) -> None:
    for i in range(n):
        await journal.record(Sale.new(Money(100 + i, "BRL"), "jpmorgan", f"ref {i}"), "created")  # 2 records each


def states(journal: Journal) -> dict[str, int]:
    conn = sqlite3.connect(journal.path)
    try:
        return dict(conn.execute(f"SELECT state, count(*) FROM {TABLE} GROUP BY state").fetchall())
    finally:
        conn.close()


async def test_register_keeps_the_id_in_data_and_the_token_in_the_keyring(tmp_path, identity, double) -> None:
    kept = load_identity(identity_file(tmp_path, False))
    assert kept == identity and kept.url == URL and kept.device_id.startswith("dev-")
    [device] = double.devices.values()
    assert identity.token() == device.token and device.token not in identity_file(tmp_path, False).read_text()
    assert device.name == "till 1" and device.kind == "till"


async def test_a_used_enrolment_code_is_refused(tmp_path, double, client, ring) -> None:
    from app.replication.identity import RegistrationError

    code = double.enrol()
    await register(URL, code, data_dir=tmp_path, client=client)
    with pytest.raises(RegistrationError, match="refused the enrolment code"):
        await register(URL, code, data_dir=tmp_path, client=client)


async def test_plain_http_to_another_host_is_refused(tmp_path, double, client, ring) -> None:
    from app.urlcheck import UnsafeUrl

    with pytest.raises(UnsafeUrl):
        await register("http://backoffice.example", double.enrol(), data_dir=tmp_path, client=client)


async def test_everything_is_sent_once_and_acknowledged(tmp_path, identity, journal, client, double) -> None:
    await sales(journal, 3)
    records_before_registering = states(journal)
    assert records_before_registering == {"waiting": 6}  # written with no device id: stamped when sent
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert (report.sent, report.accepted, report.waiting, report.error) == (6, 6, 0, "")
    assert [r.seq for r in double.kept(identity.device_id, Stream.JOURNAL)] == [1, 2, 3, 4, 5, 6]
    assert double.cursors[(identity.device_id, Stream.JOURNAL)] == 6
    assert states(journal) == {"acked": 6}
    again = await sender.push()
    assert again.sent == 0 and len(double.batch_sizes) == 1


@pytest.mark.parametrize("fault", list(Fault))
async def test_a_fault_is_retried_and_nothing_doubles(tmp_path, identity, journal, client, double, transport, fault):
    await sales(journal, 2)
    transport.faults = [fault, fault]
    sender, timer = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert report.error == "" and report.waiting == 0 and len(timer.slept) == 2
    assert [r.seq for r in double.kept(identity.device_id, Stream.JOURNAL)] == [1, 2, 3, 4]
    assert double.conflicts == [] and states(journal) == {"acked": 4}
    committed_before = fault in (Fault.TIMEOUT_AFTER, Fault.NOT_JSON)
    assert report.duplicates == (4 if committed_before else 0)  # the batch again: acknowledged again


async def test_an_unreachable_back_office_keeps_everything_waiting(tmp_path, identity, journal, client, transport):
    await sales(journal, 1)
    transport.faults = [Fault.TIMEOUT_BEFORE] * 10
    sender, timer = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert report.unreachable and "did not answer in time" in report.error
    assert len(timer.slept) == BACKOFFICE_PUSH.max_attempts - 1 and states(journal) == {"waiting": 2}
    status = backoffice_status(
        URL, load_identity(identity_file(tmp_path, False)), [await Outbox(journal, Stream.JOURNAL).counts()]
    )
    assert status.state is BackofficeState.UNREACHABLE and status.waiting == 2
    transport.faults = []
    assert (await sender.push()).accepted == 2


async def test_an_unknown_token_stops_the_push(tmp_path, identity, journal, client, double) -> None:
    await sales(journal, 1)
    double.devices.clear()
    sender, timer = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert "register it again" in report.error and not report.unreachable and timer.slept == []
    assert states(journal) == {"waiting": 2}
    status = backoffice_status(URL, sender.identity, [await Outbox(journal, Stream.JOURNAL).counts()])
    assert status.state is BackofficeState.REFUSED


async def test_a_revoked_device_forgets_its_customers_and_stops(tmp_path, identity, journal, client, double) -> None:
    await journal.record(Sale.new(Money(500, "BRL"), "jpmorgan", "CANARY-CUSTOMER-51"), "created")
    double.revoke(identity.device_id)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert report.revoked and report.sent == 0
    [sale] = await journal.list_sales()
    assert sale.reference == ""
    data = b"".join(p.read_bytes() for p in tmp_path.glob("journal.sqlite3*"))
    assert b"CANARY-CUSTOMER-51" not in data
    kept = load_identity(identity_file(tmp_path, False))
    assert kept is not None and kept.revoked_at
    assert backoffice_status(URL, kept, []).state is BackofficeState.REVOKED
    calls = len(double.batch_sizes)
    assert (await sender.push()).revoked and len(double.batch_sizes) == calls  # nothing more is sent


async def test_413_halves_the_batch(tmp_path, identity, journal, client, double) -> None:
    double.max_batch = 3
    await sales(journal, 5)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert report.accepted == 10 and report.waiting == 0 and max(double.batch_sizes) <= 3


async def test_a_refused_record_is_set_aside_and_the_queue_goes_on(tmp_path, identity, journal, client, double):
    await sales(journal, 1)
    await journal.transaction(lambda c: c.execute(f"UPDATE {TABLE} SET kind='mystery' WHERE seq=1"))
    await sales(journal, 1)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert (report.accepted, report.set_aside, report.waiting) == (3, 1, 0)
    assert report.reasons == ["journal 1: refused unknown kind 'mystery'"]
    assert double.cursors[(identity.device_id, Stream.JOURNAL)] == 4
    [aside] = await Outbox(journal, Stream.JOURNAL).set_aside_records()
    assert aside.seq == 1 and "unknown kind" in aside.reason
    status = backoffice_status(URL, sender.identity, [await Outbox(journal, Stream.JOURNAL).counts()])
    assert status.state is BackofficeState.CONNECTED and status.set_aside == 1 and status.last_push is not None
    assert any("set aside" in line for line in status_lines(status))


async def test_other_bytes_under_a_held_seq_are_a_conflict_set_aside(tmp_path, identity, journal, client, double):
    """The back office holds seq 3 of this device with other bytes (say, a journal copied to a second till that
    sent first): the record is set aside as a conflict, the first one stands, the rest go on."""
    theirs = Record.make(identity.device_id, Stream.JOURNAL, 3, RecordKind.SALE, {"sale_id": "elsewhere"})
    double.records[(identity.device_id, Stream.JOURNAL, 3)] = theirs
    double.record_ids[theirs.record_id] = (identity.device_id, Stream.JOURNAL, 3)
    await sales(journal, 2)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert (report.accepted, report.set_aside, report.waiting) == (3, 1, 0)
    assert report.reasons == ["journal 3: conflict other bytes under this key"] and len(double.conflicts) == 1
    assert double.kept(identity.device_id, Stream.JOURNAL)[2] == theirs
    assert double.cursors[(identity.device_id, Stream.JOURNAL)] == 4


async def test_a_restored_journal_resumes_from_the_cursor(tmp_path, identity, journal, client, double) -> None:
    await sales(journal, 2)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    await sender.push()
    await journal.transaction(lambda c: c.execute(f"UPDATE {TABLE} SET state='waiting', acked_at=NULL"))
    posts = len(double.batch_sizes)
    report = await sender.push()
    assert report.resumed == 4 and report.sent == 0 and len(double.batch_sizes) == posts


async def test_one_sender_at_a_time(tmp_path, identity, journal, client) -> None:
    lock = tmp_path / "backoffice.lock"
    held = hold_sender_lock(lock)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    try:
        with pytest.raises(SenderBusy, match="another TillQR"):
            await sender.run(asyncio.Event(), lock)
    finally:
        held.close()


async def test_the_background_sender_pushes_when_woken(tmp_path, identity, journal, client, double) -> None:
    sender, _ = sender_for(identity, journal, client, tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop, tmp_path / "backoffice.lock"))
    await sales(journal, 1)
    sender.wake.set()
    for _ in range(200):
        if double.kept(identity.device_id, Stream.JOURNAL):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(double.kept(identity.device_id, Stream.JOURNAL)) == 2
