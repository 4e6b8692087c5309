"""The ingest API against a real PostgreSQL: exactly once, conflicts listed, refusals per record, the cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.backoffice import db
from app.replication.wire import API, INGEST, MAX_BATCH, Outcome, Record, RecordKind, Stream, cursor_path, digest
from tests.support.service import Service, sale_payload


async def test_a_batch_sent_twice_is_acknowledged_again_and_kept_once(service: Service) -> None:
    records = [service.record() for _ in range(3)]
    first = await service.push(records)
    again = await service.push(records)
    assert [r.outcome for r in first.results] == [Outcome.ACCEPTED] * 3
    assert [r.outcome for r in again.results] == [Outcome.DUPLICATE] * 3
    assert again.cursors == {Stream.JOURNAL: 3}
    assert await service.rows("SELECT count(*) FROM records") == [(3,)]
    assert await service.rows("SELECT count(*) FROM conflicts") == [(0,)]


async def test_the_same_seq_with_other_bytes_is_a_conflict_listed_and_the_first_stands(service: Service) -> None:
    first = service.record(payload=sale_payload("s1", amount="12.50"), seq=1)
    await service.push([first])
    changed = sale_payload("s1", amount="99.00")
    other = Record.make(service.device_id, Stream.JOURNAL, 1, RecordKind.SALE, changed)
    reply = await service.push([other])
    assert reply.results[0].outcome is Outcome.CONFLICT
    assert first.record_id in reply.results[0].reason  # the seq already holds another record
    same_id = Record(*[getattr(first, f) for f in ("device_id", "stream", "seq", "record_id", "kind")],
                     1, {**changed, "note": "edited"}, digest({**changed, "note": "edited"}),
                     first.device_time)  # fmt: skip
    reply = await service.push([same_id])
    assert reply.results[0].outcome is Outcome.CONFLICT and "other bytes" in reply.results[0].reason
    listed = await service.rows("SELECT seq, sha256, first_sha256, resolved_at FROM conflicts ORDER BY id")
    assert listed == [(1, other.sha256, first.sha256, None), (1, same_id.sha256, first.sha256, None)]
    assert await service.rows("SELECT sha256 FROM records") == [(first.sha256,)]
    assert await service.rows("SELECT amount::text FROM sales") == [("12.50",)]
    assert reply.cursors == {Stream.JOURNAL: 1}


async def test_a_record_id_filed_at_another_seq_is_a_conflict(service: Service) -> None:
    first = service.record(seq=1)
    await service.push([first])
    moved = Record(service.device_id, Stream.JOURNAL, 2, first.record_id, first.kind, 1, first.payload,
                   first.sha256, first.device_time)  # fmt: skip
    reply = await service.push([moved])
    assert reply.results[0].outcome is Outcome.CONFLICT
    assert "journal/1" in reply.results[0].reason
    assert reply.cursors == {Stream.JOURNAL: 2}  # handled: listed for a person, the queue goes on


async def test_refused_records_are_kept_with_their_reason_and_the_batch_goes_on(service: Service) -> None:
    good = service.record()
    unknown = Record(service.device_id, Stream.JOURNAL, 2, "r-2", "loyalty_points", 1, {"n": 1},
                     digest({"n": 1}), good.device_time)  # fmt: skip
    future = Record(service.device_id, Stream.JOURNAL, 3, "r-3", RecordKind.SALE, 7, {"n": 1},
                    digest({"n": 1}), good.device_time)  # fmt: skip
    lying = Record(service.device_id, Stream.JOURNAL, 4, "r-4", RecordKind.SALE, 1, {"n": 1},
                   digest({"n": 2}), good.device_time)  # fmt: skip
    naive = Record.make(service.device_id, Stream.JOURNAL, 5, RecordKind.SALE, {"n": 1},
                        device_time="2025-01-02T10:00:00")  # fmt: skip
    nul = Record.make(service.device_id, Stream.JOURNAL, 6, RecordKind.SALE, {"note": "a\x00b"})
    after = service.record(seq=7)
    reply = await service.push([good, unknown, future, lying, naive, nul, after])
    outcomes = [(r.seq, r.outcome) for r in reply.results]
    assert outcomes == [(1, Outcome.ACCEPTED), *((n, Outcome.REFUSED) for n in range(2, 7)), (7, Outcome.ACCEPTED)]
    reasons = {r.seq: r.reason for r in reply.results}
    assert "unknown kind" in reasons[2] and "schema version 7" in reasons[3] and "sha256" in reasons[4]
    assert "offset" in reasons[5] and "NUL" in reasons[6]
    assert reply.cursors == {Stream.JOURNAL: 7}
    kept = await service.rows("SELECT seq, kind, reason FROM refused ORDER BY seq")
    assert [(s, k) for s, k, _ in kept] == [(2, "loyalty_points"), (3, "sale"), (4, "sale"), (5, "sale"), (6, "sale")]
    again = await service.push([unknown])
    assert again.results[0].outcome is Outcome.REFUSED
    assert await service.rows("SELECT count(*) FROM refused") == [(5,)]


async def test_the_cursor_stops_at_a_gap_and_moves_once_it_is_filled(service: Service) -> None:
    one, two, three, four = (service.record(seq=n) for n in (1, 2, 3, 4))
    reply = await service.push([one, two, four])
    assert reply.cursors == {Stream.JOURNAL: 2}
    answer = await service.client.get(f"{API}{cursor_path(service.device_id)}", headers=service.auth)
    assert answer.json() == {"device_id": service.device_id, "cursors": {"journal": 2}}
    other = await service.client.get(f"{API}{cursor_path('another-device')}", headers=service.auth)
    assert other.status_code == 403  # a device reads its own cursor only
    reply = await service.push([three])
    assert reply.cursors == {Stream.JOURNAL: 4}
    field = await service.push([service.record(RecordKind.READING, {"bill_id": "B1", "reading": 7},
                                               stream=Stream.FIELDBOOK)])  # fmt: skip
    assert field.cursors == {Stream.JOURNAL: 4, Stream.FIELDBOOK: 1}


async def test_a_record_of_a_closed_day_is_filed_under_its_day_and_marked_late(service: Service) -> None:
    yesterday = datetime.now(UTC).astimezone(timezone_minus_3()) - timedelta(days=1)
    day = yesterday.date().isoformat()
    async with service.pool.connection() as conn:
        await db.close_day(conn, "Rua Augusta", day)
    late = service.record(payload=sale_payload("late", created_at=yesterday.isoformat()),
                          device_time=yesterday.isoformat())  # fmt: skip
    today = service.record()
    reply = await service.push([late, today])
    assert [r.outcome for r in reply.results] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    filed = await service.rows("SELECT seq, business_day::text, late FROM records ORDER BY seq")
    assert filed[0] == (1, day, True)
    assert filed[1][2] is False
    assert await service.rows("SELECT business_day::text FROM sales WHERE sale_id = 'late'") == [(day,)]


def timezone_minus_3():  # São Paulo's offset: the business day is the device's date, not the server's
    from datetime import timezone

    return timezone(timedelta(hours=-3))


async def test_clock_skew_is_measured_and_a_device_over_two_minutes_off_is_flagged(service: Service) -> None:
    near = await service.push([], sent_at=datetime.now(UTC) + timedelta(seconds=30))
    assert 25 < near.skew_s < 35
    assert await service.rows("SELECT flagged_skew FROM devices") == [(False,)]
    far = await service.push([], sent_at=datetime.now(UTC) - timedelta(minutes=5))
    assert far.skew_s < -290
    assert await service.rows("SELECT flagged_skew, last_skew_s < -290 FROM devices") == [(True, True)]


async def test_a_revoked_device_is_answered_403_revoked(service: Service) -> None:
    async with service.pool.connection() as conn:
        assert await db.revoke(conn, service.device_id)
        assert not await db.revoke(conn, "no-such-device")
    answer = await service.send([service.record()])
    assert answer.status_code == 403 and answer.json()["revoked"] is True
    cursor = await service.client.get(f"{API}{cursor_path(service.device_id)}", headers=service.auth)
    assert cursor.status_code == 403 and cursor.json()["revoked"] is True
    assert await service.rows("SELECT count(*) FROM records") == [(0,)]


async def test_an_unknown_or_missing_token_is_401(service: Service) -> None:
    records = [service.record().to_json()]
    body = {"device_id": service.device_id, "sent_at": datetime.now(UTC).isoformat(), "records": records}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
        answer = await service.client.post(f"{API}{INGEST}", json=body, headers=headers)
        assert answer.status_code == 401, headers


async def test_a_batch_over_max_batch_is_413_and_nothing_is_kept(service: Service) -> None:
    answer = await service.send([service.record() for _ in range(MAX_BATCH + 1)])
    assert answer.status_code == 413
    huge = b'{"device_id": "x", "sent_at": "y", "records": [' + b" " * (17 * 1024 * 1024) + b"]}"
    answer = await service.client.post(f"{API}{INGEST}", content=huge, headers=service.auth)
    assert answer.status_code == 413
    assert await service.rows("SELECT count(*) FROM records") == [(0,)]


async def test_malformed_batches_are_400_and_nothing_is_kept(service: Service) -> None:
    good = service.record().to_json()
    now = datetime.now(UTC).isoformat()
    bad_bodies: list[object] = [
        [good],
        {"device_id": service.device_id, "records": [good]},  # no sent_at
        {"device_id": service.device_id, "sent_at": now, "records": [{**good, "seq": 0}]},
        {"device_id": service.device_id, "sent_at": now, "records": [{**good, "stream": "diary"}]},
        {"device_id": service.device_id, "sent_at": now, "records": [good, good]},  # one seq twice
        {"device_id": "another", "sent_at": now, "records": [good]},
        {"device_id": service.device_id, "sent_at": now, "records": [{**good, "device_id": "another"}]},
        {"device_id": service.device_id, "sent_at": "yesterday", "records": [good]},
    ]
    for body in bad_bodies:
        answer = await service.client.post(f"{API}{INGEST}", json=body, headers=service.auth)
        assert answer.status_code == 400, body
        assert answer.json()["error"]
    for raw in (b"{", b'{"records": NaN}', b"\xff"):
        answer = await service.client.post(f"{API}{INGEST}", content=raw, headers=service.auth)
        assert answer.status_code == 400, raw
    assert await service.rows("SELECT count(*) FROM records") == [(0,)]


async def test_a_full_batch_goes_through_copy_with_its_projection(service: Service) -> None:
    records = [service.record(payload=sale_payload(f"s{n // 2}", status="linked" if n % 2 == 0 else "settled"))
               for n in range(MAX_BATCH)]  # fmt: skip
    reply = await service.push(records)
    assert [r.outcome for r in reply.results] == [Outcome.ACCEPTED] * MAX_BATCH
    assert reply.cursors == {Stream.JOURNAL: MAX_BATCH}
    assert await service.rows("SELECT count(*), count(DISTINCT record_id) FROM records") == [(MAX_BATCH, MAX_BATCH)]
    # each sale as its latest record by seq: the second of each pair (settled)
    assert await service.rows("SELECT count(*), min(status), max(status) FROM sales") == [
        (MAX_BATCH // 2, "settled", "settled")
    ]
    stored = await service.rows("SELECT payload, sha256 FROM records WHERE seq = 17")
    assert digest(stored[0][0]) == stored[0][1]  # jsonb gives back the bytes that were hashed


async def test_an_older_sale_record_never_overwrites_a_newer_one(service: Service) -> None:
    newer = service.record(payload=sale_payload("s", status="settled"), seq=2)
    older = service.record(payload=sale_payload("s", status="linked"), seq=1)
    await service.push([newer])
    await service.push([older])
    assert await service.rows("SELECT status, seq FROM sales") == [("settled", 2)]


async def test_readings_and_bill_states_are_projected_per_bill(service: Service) -> None:
    def rec(kind: RecordKind, payload: dict) -> Record:
        return service.record(kind, payload, stream=Stream.FIELDBOOK)

    await service.push([rec(RecordKind.READING, {"bill_id": "B1", "reading": 10}),
                        rec(RecordKind.BILL_STATE, {"bill_id": "B1", "sync_state": "pending"}),
                        rec(RecordKind.READING, {"bill_id": "B1", "reading": 12}),
                        rec(RecordKind.BILL_STATE, {"bill_id": "B1", "sync_state": "synced"})])  # fmt: skip
    assert await service.rows("SELECT bill_id, reading->>'reading', state->>'sync_state' FROM readings") == [
        ("B1", "12", "synced")
    ]


async def test_an_enrolment_code_registers_one_device_once(service: Service) -> None:
    async with service.pool.connection() as conn:
        enrolment = await db.enrol(conn, name="laptop 7", store="route 3", kind=db.DeviceKind.LAPTOP)
    typed = enrolment.code.lower().replace("-", " ")  # as a person may type it
    answer = await service.client.post(f"{API}/devices", json={"enrolment_code": typed, "name": "mine"})
    assert answer.status_code == 201
    device_id = answer.json()["device_id"]
    assert await service.rows("SELECT name, kind, store FROM devices WHERE id = %s", device_id) == [
        ("laptop 7", "laptop", "route 3")
    ]
    again = await service.client.post(f"{API}/devices", json={"enrolment_code": enrolment.code})
    assert again.status_code == 403
    assert (await service.client.post(f"{API}/devices", json={"code": "x"})).status_code == 400
    async with service.pool.connection() as conn:
        expired = await db.enrol(conn, valid=timedelta(seconds=-1))
    late = await service.client.post(f"{API}/devices", json={"enrolment_code": expired.code})
    assert late.status_code == 403


async def test_backslashes_tabs_and_line_ends_go_through_copy_unchanged(service: Service) -> None:
    """COPY's text form escapes them: every staged text column and the payload come back byte for byte."""
    odd = 'a\\b\tc\nd\re \\N \\t "q" \u2028 ç 🙂 \x01'
    payload = sale_payload(odd, status=odd, provider=odd, reference=odd, amount="1E+2")
    payload["currency"] = "B\\RL\t"
    record = service.record(payload=payload)
    reading = service.record(RecordKind.READING, {"bill_id": odd, "value": "1100", "note": odd})
    reply = await service.push([record, reading])
    assert [r.outcome for r in reply.results] == [Outcome.ACCEPTED] * 2
    [(stored, sha)] = await service.rows("SELECT payload, sha256 FROM records WHERE seq = %s", record.seq)
    assert stored == payload and digest(stored) == sha == record.sha256
    assert await service.rows("SELECT sale_id, status, provider, currency, amount::text FROM sales") == [
        (odd, odd, odd, "B\\RL\t", "100")
    ]
    assert await service.rows("SELECT bill_id, reading->>'note' FROM readings") == [(odd, odd)]
