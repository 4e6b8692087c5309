"""The sender against the real back office (app.backoffice.ingest on a real PostgreSQL, tests/support/pg.py) over
httpx's ASGI transport, with the network's faults put in front of it (tests/support/live_backoffice.py): every
record kept once whatever fails (503, timeouts before and after the commit, answers that are not JSON),
acknowledged only after a 200, refused and conflicting records set aside while the queue goes on, a proxy's 413
halved, 401 stops, 403 revoked forgets the customers, the cursor resumed. What the back office holds is read from
PostgreSQL. Waits run on a FakeTimer."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from app.domain.bills import Bill
from app.domain.money import Money
from app.domain.sale import Sale
from app.replication.background import TillSender
from app.replication.identity import DeviceIdentity, identity_file, load_identity, register
from app.replication.outbox import Outbox
from app.replication.sender import Sender, SenderBusy, hold_sender_lock
from app.replication.status import BackofficeState, backoffice_status, status_lines
from app.replication.wire import API, INGEST, MAX_BATCH, Batch, Record, RecordKind, Stream
from app.retry import BACKOFFICE_PUSH, FakeTimer
from app.storage.fieldbook import Fieldbook
from app.storage.journal import Journal
from app.storage.replica import TABLE
from tests.support.live_backoffice import URL, Fault, FaultyTransport, Held, LiveBackoffice, live_backoffice
from tests.support.pg import pg_cluster, pg_dsn  # noqa: F401 - fixtures: a real PostgreSQL
from tests.support.waiting import until


@pytest.fixture
async def live(pg_dsn: str) -> AsyncIterator[LiveBackoffice]:
    async with live_backoffice(pg_dsn) as backoffice:
        yield backoffice


@pytest.fixture
def held(live: LiveBackoffice) -> Held:
    return live.held


@pytest.fixture
def transport(live: LiveBackoffice) -> FaultyTransport:
    return live.transport


@pytest.fixture
def client(live: LiveBackoffice) -> httpx.AsyncClient:
    return live.client


@pytest.fixture
async def journal(tmp_path: Path):
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    await j.aclose()


@pytest.fixture
async def identity(tmp_path: Path, held: Held, client: httpx.AsyncClient, ring) -> DeviceIdentity:
    return await register(URL, held.enrol(), data_dir=tmp_path, client=client, name="till 1")


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


def seqs(held: Held, identity: DeviceIdentity) -> list[int]:
    return [r.seq for r in held.records(identity.device_id)]


async def test_register_keeps_the_id_in_data_and_the_token_in_the_keyring(tmp_path, identity, held, client) -> None:
    kept = load_identity(identity_file(tmp_path, False))
    assert kept is not None and kept == identity and kept.url == URL and kept.device_id
    token = identity.token()
    assert token and token not in identity_file(tmp_path, False).read_text()
    assert held.device(identity.device_id) == ("till 1", "till", "Rua Augusta")
    answer = await client.get(
        f"{URL}{API}/devices/{identity.device_id}/cursor", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200  # the token the keyring keeps is the one the back office knows


async def test_a_used_enrolment_code_is_refused(tmp_path, held, client, ring) -> None:
    from app.replication.identity import RegistrationError

    code = held.enrol()
    await register(URL, code, data_dir=tmp_path, client=client)
    with pytest.raises(RegistrationError, match="refused the enrolment code"):
        await register(URL, code, data_dir=tmp_path, client=client)


async def test_plain_http_to_another_host_is_refused(tmp_path, held, client, ring) -> None:
    from app.urlcheck import UnsafeUrl

    with pytest.raises(UnsafeUrl):
        await register("http://backoffice.example", held.enrol(), data_dir=tmp_path, client=client)


async def test_everything_is_sent_once_and_acknowledged(tmp_path, identity, journal, client, held, transport) -> None:
    await sales(journal, 3)
    records_before_registering = states(journal)
    assert records_before_registering == {"waiting": 6}  # written with no device id: stamped when sent
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert (report.sent, report.accepted, report.waiting, report.error) == (6, 6, 0, "")
    assert seqs(held, identity) == [1, 2, 3, 4, 5, 6] and held.cursor(identity.device_id) == 6
    assert states(journal) == {"acked": 6}
    mine = {r["seq"]: r["sha256"] for r in rows_of(journal)}
    assert {r.seq: r.sha256 for r in held.records(identity.device_id)} == mine  # the same bytes, once each
    again = await sender.push()
    assert again.sent == 0 and transport.posts == 1


def rows_of(journal: Journal) -> list[sqlite3.Row]:
    conn = sqlite3.connect(journal.path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(f"SELECT * FROM {TABLE} ORDER BY seq").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("fault", list(Fault))
async def test_a_fault_is_retried_and_nothing_doubles(tmp_path, identity, journal, client, held, transport, fault):
    await sales(journal, 2)
    transport.faults = [fault, fault]
    sender, timer = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert report.error == "" and report.waiting == 0 and len(timer.slept) == 2
    assert seqs(held, identity) == [1, 2, 3, 4]
    assert held.conflicts(identity.device_id) == [] and states(journal) == {"acked": 4}
    committed_before = fault in (Fault.TIMEOUT_AFTER, Fault.NOT_JSON)
    assert report.duplicates == (4 if committed_before else 0)  # the batch again: acknowledged again
    assert transport.posts == (3 if committed_before else 1)


async def test_an_unreachable_back_office_keeps_everything_waiting(tmp_path, identity, journal, client, transport):
    await sales(journal, 1)
    transport.faults = [Fault.TIMEOUT_BEFORE] * 10
    sender, timer = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert report.unreachable and "did not answer in time" in report.error
    assert len(timer.slept) + 1 == BACKOFFICE_PUSH.max_attempts and states(journal) == {"waiting": 2}
    status = backoffice_status(
        URL, load_identity(identity_file(tmp_path, False)), [await Outbox(journal, Stream.JOURNAL).counts()]
    )
    assert status.state is BackofficeState.UNREACHABLE and status.waiting == 2
    transport.faults = []
    assert (await sender.push()).accepted == 2


async def test_an_unknown_token_stops_the_push(tmp_path, identity, journal, client, held) -> None:
    await sales(journal, 1)
    held.forget_token(identity.device_id)
    sender, timer = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert "register it again" in report.error and not report.unreachable and timer.slept == []
    assert states(journal) == {"waiting": 2} and seqs(held, identity) == []
    status = backoffice_status(URL, sender.identity, [await Outbox(journal, Stream.JOURNAL).counts()])
    assert status.state is BackofficeState.REFUSED


async def test_a_revoked_device_forgets_its_customers_and_stops(tmp_path, identity, journal, client, held, transport):
    await journal.record(Sale.new(Money(500, "BRL"), "jpmorgan", "CANARY-CUSTOMER-51"), "created")
    held.revoke(identity.device_id)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert report.revoked and report.sent == 0 and seqs(held, identity) == []
    [sale] = await journal.list_sales()
    assert sale.reference == ""
    data = b"".join(p.read_bytes() for p in tmp_path.glob("journal.sqlite3*"))
    assert b"CANARY-CUSTOMER-51" not in data
    kept = load_identity(identity_file(tmp_path, False))
    assert kept is not None and kept.revoked_at
    assert kept.token() is None  # the useless credential is not kept either
    assert backoffice_status(URL, kept, []).state is BackofficeState.REVOKED
    posts = transport.posts
    assert (await sender.push()).revoked and transport.posts == posts  # nothing more is sent


async def test_a_proxys_413_halves_the_batch(tmp_path, identity, journal, client, held, transport) -> None:
    transport.proxy_limit = 3
    await sales(journal, 5)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert report.accepted == 10 and report.waiting == 0 and max(transport.sizes) <= 3
    assert seqs(held, identity) == list(range(1, 11))


async def test_a_single_record_too_large_is_set_aside(tmp_path, identity, journal, client, held, transport) -> None:
    transport.proxy_limit = 0
    await sales(journal, 1)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert (report.set_aside, report.waiting, transport.posts) == (2, 0, 0)
    assert report.reasons == ["journal 1: too large for the back office", "journal 2: too large for the back office"]


async def test_the_services_own_413_over_its_batch_limit_is_halved(tmp_path, identity, journal, client, transport):
    """The sender told to send more than the service takes in one batch (MAX_BATCH): the service says 413."""
    await sales(journal, 1)
    copies = MAX_BATCH + 8  # of the sale's event record, each its own record_id
    await journal.transaction(
        lambda c: c.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            f" INSERT INTO {TABLE} (record_id, kind, schema_version, payload, sha256, device_time, state)"
            f" SELECT o.record_id || '-' || n.i, o.kind, o.schema_version, o.payload, o.sha256, o.device_time,"
            f" o.state FROM n, {TABLE} o WHERE o.seq = 2",
            (copies,),
        )
    )
    sender, _ = sender_for(identity, journal, client, tmp_path, max_batch=MAX_BATCH + 10)
    report = await sender.push()
    assert (report.error, report.waiting, report.accepted) == ("", 0, copies + 2)
    assert transport.sizes[0] == MAX_BATCH + 10 and max(transport.sizes[1:]) <= MAX_BATCH


async def test_a_refused_record_is_set_aside_and_the_queue_goes_on(tmp_path, identity, journal, client, held):
    await sales(journal, 1)
    await journal.transaction(lambda c: c.execute(f"UPDATE {TABLE} SET kind='mystery' WHERE seq=1"))
    await sales(journal, 1)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert (report.accepted, report.set_aside, report.waiting) == (3, 1, 0)
    assert report.reasons == ["journal 1: refused unknown kind 'mystery'"]
    assert held.cursor(identity.device_id) == 4 and seqs(held, identity) == [2, 3, 4]
    [aside] = await Outbox(journal, Stream.JOURNAL).set_aside_records()
    assert aside.seq == 1 and "unknown kind" in aside.reason
    status = backoffice_status(URL, sender.identity, [await Outbox(journal, Stream.JOURNAL).counts()])
    assert status.state is BackofficeState.CONNECTED and status.set_aside == 1 and status.last_push is not None
    assert any("set aside" in line for line in status_lines(status))


async def test_other_bytes_under_a_held_seq_are_a_conflict_set_aside(tmp_path, identity, journal, client, held):
    """The back office holds seq 3 of this device with other bytes (say, a journal copied to a second till that
    sent first): the record is set aside as a conflict, the first one stands, the rest go on."""
    theirs = Record.make(identity.device_id, Stream.JOURNAL, 3, RecordKind.SALE, {"sale_id": "elsewhere"})
    token = identity.token()
    first = await client.post(
        f"{URL}{API}{INGEST}",
        json=Batch(identity.device_id, [theirs]).to_json(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert first.status_code == 200 and first.json()["results"][0]["outcome"] == "accepted"
    await sales(journal, 2)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    report = await sender.push()
    assert (report.accepted, report.set_aside, report.waiting) == (3, 1, 0)
    [reason] = report.reasons
    assert reason.startswith("journal 3: conflict") and [s for s, _ in held.conflicts(identity.device_id)] == [3]
    assert held.records(identity.device_id)[2].record_id == theirs.record_id  # the first one stands
    assert held.cursor(identity.device_id) == 4


async def test_a_restored_journal_resumes_from_the_cursor(tmp_path, identity, journal, client, transport) -> None:
    await sales(journal, 2)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    await sender.push()
    await journal.transaction(lambda c: c.execute(f"UPDATE {TABLE} SET state='waiting', acked_at=NULL"))
    posts = transport.posts
    report = await sender.push()
    assert report.resumed == 4 and report.sent == 0 and transport.posts == posts


async def test_what_the_back_office_lost_is_sent_again(tmp_path, identity, journal, client, held) -> None:
    """The back office's database put back from a backup (or a crash with synchronous_commit off) no longer has
    what it acknowledged: its cursor is below what this till holds as sent, and the rest goes again, once."""
    await sales(journal, 3)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    await sender.push()
    assert held.cursor(identity.device_id) == 6
    held._run("DELETE FROM records WHERE device_id=%s AND seq>2", identity.device_id)  # as the backup had it
    held._run("UPDATE cursors SET seq=2 WHERE device_id=%s", identity.device_id)
    report = await sender.push()
    assert (report.resent, report.sent, report.error) == (4, 4, "")
    assert seqs(held, identity) == [1, 2, 3, 4, 5, 6] and held.cursor(identity.device_id) == 6
    mine = {r["seq"]: r["sha256"] for r in rows_of(journal)}
    assert {r.seq: r.sha256 for r in held.records(identity.device_id)} == mine and states(journal) == {"acked": 6}


async def test_one_sender_at_a_time(tmp_path, identity, journal, client) -> None:
    lock = tmp_path / "backoffice.lock"
    held_lock = hold_sender_lock(lock)
    sender, _ = sender_for(identity, journal, client, tmp_path)
    try:
        with pytest.raises(SenderBusy, match="another TillQR"):
            await sender.run(asyncio.Event(), lock)
    finally:
        held_lock.close()


async def test_the_background_sender_pushes_when_woken(tmp_path, identity, journal, client, held) -> None:
    sender, _ = sender_for(identity, journal, client, tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop, tmp_path / "backoffice.lock"))
    await until(lambda: sender.identity.contact.at != "")  # the first push, with nothing to send
    await sales(journal, 1)
    sender.wake.set()
    await until(lambda: len(seqs(held, identity)) == 2)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert states(journal) == {"acked": 2}


async def test_push_now_during_a_background_push_answers_with_it_and_what_it_drained(
    tmp_path, identity, journal, client, held, transport
) -> None:
    sender, _ = sender_for(identity, journal, client, tmp_path)
    till = TillSender(sender, tmp_path / "backoffice.lock", owned=[])
    till.start()
    try:
        await until(lambda: till.last is not None)  # the first push, with nothing to send
        transport.gate = asyncio.Event()
        await sales(journal, 1)  # the commit wakes the sender: its push waits on the network
        await until(lambda: transport.held_back == 1)
        await sales(journal, 2)  # written after that push read its first batch
        pressed = asyncio.ensure_future(till.push_now())  # the manager's "Push now" meanwhile
        await until(lambda: sender.wake.is_set())
        transport.gate.set()
        report = await asyncio.wait_for(pressed, 10)
        assert (report.batches, report.sent, report.waiting) == (2, 6, 0)  # the push goes on until nothing waits
        assert seqs(held, identity) == [1, 2, 3, 4, 5, 6] and states(journal) == {"acked": 6}
    finally:
        await till.aclose()


async def test_a_field_book_made_after_the_start_is_sent_from_its_first_reading(
    tmp_path, identity, journal, client, held
) -> None:
    sender, _ = sender_for(identity, journal, client, tmp_path)
    path = tmp_path / "fieldbook.sqlite3"
    assert not path.exists()  # a till that had never gone out when it started
    till = TillSender(sender, tmp_path / "backoffice.lock", owned=[], book=path)
    till.start()
    book = Fieldbook(path)  # the Field screen's own
    try:
        await until(lambda: till.last is not None)
        await book.add_route("route.csv", [(Bill("B1", "Maria", "Sítio", "M1", Decimal(1000), "residential"), "BRL")])
        await book.record(
            "B1", value=Decimal(1100), consumption=Decimal(100), charge=Money(8000, "BRL"), reset=False, due_date=None
        )
        await until(lambda: held.readings(identity.device_id) == [("B1", "1100")])
        assert [r.seq for r in held.records(identity.device_id, Stream.FIELDBOOK)] == [1]  # the reading
    finally:
        await till.aclose()
        await book.aclose()
