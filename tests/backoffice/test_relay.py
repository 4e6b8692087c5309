"""The back office's notification relay against a real PostgreSQL, on real uvicorn sockets: what a provider
POSTs to ``/notifications/{provider}`` reaches the tills' ``WebSocketHub`` through ``/api/v1/devices/{id}/events``.

"Nothing was sent" is never waited for with a clock: a later notification is sent behind it, and the till's
events are in order, so once the later one is heard the earlier one would have been heard first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from app.backoffice import db
from app.backoffice.service import create_service
from app.notifications.intake import MAX_BODY
from app.notifications.serve import DEMO_SECRET, demo_secret
from app.notifications.sources import signature
from app.replication.wire import API
from tests.support.relaying import Till, instance, jpmorgan, razorpay, register
from tests.support.waiting import until


@pytest.fixture
async def base(pg_dsn: str) -> AsyncIterator[str]:
    async with instance(pg_dsn) as url:
        yield url


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as c:
        yield c


@pytest.fixture
async def till(client: httpx.AsyncClient, pg_dsn: str, base: str) -> AsyncIterator[Till]:
    t = await register(client, pg_dsn, base, "till 1")
    try:
        yield t
    finally:
        await t.aclose()


def stored(dsn: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT provider, request_id, status, amount::text, device_id FROM notifications ORDER BY id"
        ).fetchall()


async def post_razorpay(
    client: httpx.AsyncClient, base: str, request_id: str, paise: int = 1250, event_id: str = "evt_1", secret: str = ""
) -> httpx.Response:
    body, headers = razorpay(request_id, paise, event_id=event_id, secret=secret or DEMO_SECRET)
    return await client.post(f"{base}/notifications/razorpay", content=body, headers=headers)


async def test_a_signed_notification_reaches_the_till_whose_sale_holds_it(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    await till.sell(client, "qr_held")
    hub = await till.listen()
    woken: list[str] = []
    hub.subscribe("qr_held", lambda: woken.append("qr_held"))
    woken.clear()  # connecting wakes every watcher once (wake_all); what follows is the event's
    answer = await post_razorpay(client, base, "qr_held", paise=1250)
    assert answer.status_code == 200 and answer.json() == {"status": "accepted"}
    await until(lambda: woken == ["qr_held"])
    [event] = till.heard
    assert event["provider"] == "razorpay" and event["request_id"] == "qr_held"
    assert event["status"] == "qr_code.credited" and event["amount_paid"] == "12.50"
    assert isinstance(event["id"], int)
    assert stored(pg_dsn) == [("razorpay", "qr_held", "qr_code.credited", "12.50", till.device_id)]


async def test_a_bad_signature_is_403_and_nothing_is_stored_or_sent(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    await till.sell(client, "qr_forged")
    await till.sell(client, "qr_after")
    await till.listen()
    forged = await post_razorpay(client, base, "qr_forged", secret="not the secret", event_id="evt_forged")
    assert forged.status_code == 403 and forged.json()["status"] == "refused"
    unsigned_body, headers = razorpay("qr_forged", event_id="evt_nosig")
    del headers["x-razorpay-signature"]
    missing = await client.post(f"{base}/notifications/razorpay", content=unsigned_body, headers=headers)
    assert missing.status_code == 401
    assert (await post_razorpay(client, base, "qr_after", event_id="evt_after")).json() == {"status": "accepted"}
    await until(lambda: till.requests_heard() == ["qr_after"])
    assert [row[1] for row in stored(pg_dsn)] == ["qr_after"]


async def test_an_unsigned_notice_is_believed_only_for_a_request_a_device_holds(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    await till.sell(client, "jpm-held")
    await till.listen()
    url = f"{base}/notifications/jpmorgan"
    unknown = await client.post(url, json=jpmorgan("jpm-nobody", "evt-a"))
    assert unknown.status_code == 200 and unknown.json() == {"status": "ignored"}
    depay = await client.post(f"{base}/notifications/depay", json={"order_id": "dp-nobody", "status": "COMPLETED"})
    assert depay.json() == {"status": "ignored"}
    held = await client.post(url, json=jpmorgan("jpm-held", "evt-b", paid="7.25"))
    assert held.json() == {"status": "accepted"}
    await until(lambda: till.requests_heard() == ["jpm-held"])
    assert till.heard[0]["amount_paid"] == "7.25" and till.heard[0]["status"] == "PAID"
    assert stored(pg_dsn) == [("jpmorgan", "jpm-held", "PAID", "7.25", till.device_id)]


async def test_a_replay_is_a_duplicate_and_sent_once(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    await till.sell(client, "qr_twice")
    await till.listen()
    assert (await post_razorpay(client, base, "qr_twice", event_id="evt_x")).json() == {"status": "accepted"}
    assert (await post_razorpay(client, base, "qr_twice", event_id="evt_x")).json() == {"status": "duplicate"}
    same_id_other_body = await post_razorpay(client, base, "qr_twice", paise=99, event_id="evt_x")
    assert same_id_other_body.json() == {"status": "duplicate"}
    assert (await post_razorpay(client, base, "qr_twice", event_id="evt_y", paise=1300)).json()["status"] == "accepted"
    await until(lambda: len(till.heard) == 2)
    assert [e["amount_paid"] for e in till.heard] == ["12.50", "13.00"]
    assert len(stored(pg_dsn)) == 2


async def test_a_request_no_device_holds_goes_to_every_device_and_a_held_one_to_its_device_only(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    other = await register(client, pg_dsn, base, "till 2")
    try:
        await till.sell(client, "qr_mine")
        await till.listen()
        await other.listen()
        assert (await post_razorpay(client, base, "qr_mine", event_id="e1")).json()["status"] == "accepted"
        assert (await post_razorpay(client, base, "qr_unknown", event_id="e2")).json()["status"] == "accepted"
        await until(lambda: till.requests_heard() == ["qr_mine", "qr_unknown"])
        await until(lambda: other.requests_heard() == ["qr_unknown"])
    finally:
        await other.aclose()


async def test_posted_to_one_instance_delivered_by_another(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    async with instance(pg_dsn) as second:
        await till.sell(client, "qr_across")
        await till.listen(second)  # connected to B
        answer = await post_razorpay(client, base, "qr_across")  # posted to A
        assert answer.json() == {"status": "accepted"}
        await until(lambda: till.requests_heard() == ["qr_across"])
        again = await post_razorpay(client, second, "qr_across")  # the same event, to B: already held
        assert again.json() == {"status": "duplicate"}


async def test_a_device_that_reconnects_with_after_misses_nothing(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    await till.sell(client, "qr_1")
    await till.sell(client, "qr_2")
    hub = await till.listen()
    await post_razorpay(client, base, "qr_1", event_id="e1")
    await until(lambda: till.requests_heard() == ["qr_1"])
    first_id = hub.last_id
    assert first_id is not None
    await hub.aclose()
    assert (await post_razorpay(client, base, "qr_2", event_id="e2")).json()["status"] == "accepted"
    await hub.start()  # the same hub: it resumes after the last id it heard
    await until(lambda: till.requests_heard() == ["qr_1", "qr_2"])
    async with websockets.connect(f"{till.events_url}?after=0", additional_headers=till.auth) as ws:
        replayed = [await ws.recv(), await ws.recv()]
    assert ['"qr_1"' in replayed[0], '"qr_2"' in replayed[1]] == [True, True]


async def test_a_notification_that_committed_after_a_later_one_is_not_missed_on_reconnect(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    """Ids are taken at INSERT and committed in any order: a device that heard id n, then dropped, must still get
    an id below n that committed meanwhile. The replay overlaps; the hub skips what it heard."""
    for request in ("qr_2", "qr_late", "qr_3"):
        await till.sell(client, request)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        [(taken,)] = conn.execute("SELECT nextval('notifications_id_seq')").fetchall()  # an instance's INSERT ...
    hub = await till.listen()
    await post_razorpay(client, base, "qr_2", event_id="e2")  # ... while a later one commits and is heard
    await until(lambda: till.requests_heard() == ["qr_2"])
    assert hub.last_id is not None and hub.last_id > taken
    await hub.aclose()
    with psycopg.connect(pg_dsn, autocommit=True) as conn:  # the earlier id commits now, the device away
        conn.execute(
            "INSERT INTO notifications (id, provider, request_id, status, device_id, body_key)"
            " VALUES (%s, 'razorpay', 'qr_late', 'qr_code.credited', %s, 'late')",
            (taken, till.device_id),
        )
    await hub.start()  # resumes with ?after=<the later id>
    assert (await post_razorpay(client, base, "qr_3", event_id="e3")).json()["status"] == "accepted"  # a marker
    await until(lambda: till.requests_heard()[-1:] == ["qr_3"])  # heard: so is everything replayed before it
    assert till.requests_heard() == ["qr_2", "qr_late", "qr_3"]  # the late one once, the first not twice


async def test_unknown_revoked_and_other_devices_are_refused(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    other = await register(client, pg_dsn, base, "till 2")
    cases = [
        (till.events_url, {}, 401),
        (till.events_url, {"Authorization": "Bearer not-a-token"}, 401),
        (till.events_url, other.auth, 403),
    ]
    for url, headers, status in cases:
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == status
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("UPDATE devices SET revoked_at = now() WHERE id = %s", (till.device_id,))
    with pytest.raises(InvalidStatus) as revoked:
        async with websockets.connect(till.events_url, additional_headers=till.auth):
            pass
    assert revoked.value.response.status_code == 403 and b"revoked" in revoked.value.response.body
    health = await client.get(f"{base}{API}/health")
    assert health.json() == {"ok": True}


async def test_a_device_revoked_while_connected_is_closed_and_its_hub_stops(
    client: httpx.AsyncClient, pg_dsn: str, base: str, till: Till
) -> None:
    other = await register(client, pg_dsn, base, "till 2")
    hub = await till.listen()
    still = await other.listen()
    async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as conn:
        assert await db.revoke(conn, till.device_id)  # as `tillqr backoffice revoke` or the Devices page does
    await until(lambda: hub._task is not None and hub._task.done())  # closed with 1008: it does not ask again
    assert not hub.connected and hub.connects == 1
    await post_razorpay(client, base, "qr_for_all")  # held by nobody: sent to every connected device
    await until(lambda: other.requests_heard() == ["qr_for_all"])
    assert still.connected and till.heard == []
    await other.aclose()


async def test_the_back_office_makes_the_tills_checks(pg_dsn: str) -> None:
    pool = db.make_pool(pg_dsn, max_size=2)
    await pool.open(wait=True)
    app = create_service(pool, secret_for=demo_secret)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bo.test") as c:
            body, headers = razorpay("qr_x")
            assert (await c.post("/notifications/paypal", content=body, headers=headers)).status_code == 404
            plain = {**headers, "content-type": "text/plain"}
            assert (await c.post("/notifications/razorpay", content=body, headers=plain)).status_code == 415
            huge = b"{" + b" " * MAX_BODY + b"}"
            assert (await c.post("/notifications/razorpay", content=huge, headers=headers)).status_code == 413
            not_json = b"not json"
            signed = {**headers, "x-razorpay-signature": signature(DEMO_SECRET, not_json)}
            assert (await c.post("/notifications/razorpay", content=not_json, headers=signed)).status_code == 400
            health = (await c.get("/notifications")).json()
        assert health["counts"] == {"refused_404": 1, "refused_415": 1, "refused_413": 1, "refused_400": 1}
        assert stored(pg_dsn) == []
    finally:
        await app.state.relay.aclose()
        await pool.close()
