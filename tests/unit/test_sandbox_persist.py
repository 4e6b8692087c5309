"""The sandbox's state saved and read back (app.sandbox.persist): requests of every provider made through the
real in-process API, idempotent replays, what a Pix due-date charge owes, damaged files, the file's mode."""

from __future__ import annotations

import json
import logging
import stat
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.domain.duedate import amount_due
from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.providers.base import ChargeSpec, PaymentProvider, linking
from app.providers.registry import BY_NAME
from app.sandbox import ManualClock, create_app, persist
from app.sandbox.core import SandboxState
from app.sandbox.model import Phase, SimRequest
from app.sandbox.persist import StateKeeper
from app.sandbox.persist_json import decode, encode
from tests.support.closing import closed_after

from .conftest import AUTH, JPM_API

BRASILIA = ZoneInfo("America/Sao_Paulo")
BASE = "http://sandbox"


def terms(due_date: date) -> DueTerms:
    return DueTerms(
        due_date=due_date,
        max_payment_days=30,
        fine=Money(200, "BRL"),
        interest_per_day=Money(10, "BRL"),
        rebate=Money(50, "BRL"),
    )


TERMS = terms(date(2025, 3, 25))  # the sandbox's clock starts at conftest.T0, 2025-03-01


def state_of(app) -> SandboxState:
    return app.state.sandbox


@pytest.fixture
async def clients():
    """``make(app, name)``: a client of provider ``name``'s API on ``app`` (closed after the test)."""

    def make(app, name: str) -> PaymentProvider:
        spec = BY_NAME[name]
        return spec.create(
            base_url=f"{BASE}/{name}", credentials=spec.demo_credentials(), transport=httpx.ASGITransport(app=app)
        )

    async for made in closed_after(make):
        yield made


@pytest.fixture
async def http():
    """``open(app)``: a raw HTTP client on ``app``."""
    opened: list[httpx.AsyncClient] = []

    def open_(app) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
        opened.append(client)
        return client

    yield open_
    for client in opened:
        await client.aclose()


def charge(amount: str, currency: str, due: DueTerms | None = None) -> ChargeSpec:
    sale = uuid.uuid4().hex
    return ChargeSpec(sale, Money.parse(amount, currency), f"order {sale[:6]}", 600, sale, due=due)


def comparable(state: SandboxState) -> dict:
    """The saved form without its time of saving: equal for equal states."""
    doc = json.loads(persist.dumps(state))
    doc.pop("saved_at")
    return doc


def reloaded(path, sb_clock, **kw):
    app = create_app(clock=sb_clock, **kw)
    assert persist.load(state_of(app), path) is True
    return app


async def pay(client: httpx.AsyncClient, payload: str, amount: str | None = None) -> httpx.Response:
    return await client.post("/_sandbox/pay", json={"payload": payload, **({"amount": amount} if amount else {})})


async def test_a_state_with_requests_of_every_provider_reads_back_the_same(tmp_path, clients, http):
    sb_clock = ManualClock()  # now: Razorpay's client sets close_by from the real time
    app = create_app(clock=sb_clock)
    jpm, depay, pix, razorpay = (clients(app, name) for name in ("jpmorgan", "depay", "pix", "razorpay"))
    link = await linking(jpm).create_link("link-key", "counter")
    linked = await jpm.create_request(charge("12.50", "BRL"))
    await linking(jpm).link(link.link_id, linked.request_id, "link-1")
    made = [
        ("jpmorgan", linked),
        ("depay", await depay.create_request(charge("20.00", depay.currencies[0]))),
        ("pix", await pix.create_request(charge("10.25", "BRL", due=terms(sb_clock().date() + timedelta(days=10))))),
        ("pix", await pix.create_request(charge("7.00", "BRL"))),
        ("razorpay", await razorpay.create_request(charge("300.00", "INR"))),
    ]
    assert {BY_NAME[name].name for name in ("jpmorgan", "depay", "pix", "razorpay")} == set(state_of(app).status_words)
    assert (await pay(http(app), made[3][1].payload, "3.00")).status_code == 200  # a part payment (Pix)
    assert (await pay(http(app), made[1][1].payload)).status_code == 200  # paid (Depay)
    state_of(app).advance(30)
    path = tmp_path / "sandbox-demo.json"
    persist.save(state_of(app), path)

    again = reloaded(path, sb_clock)
    assert comparable(state_of(again)) == comparable(state_of(app))
    assert state_of(again).snapshot() == state_of(app).snapshot()
    assert state_of(again).now() == state_of(app).now() and state_of(again).call_count == state_of(app).call_count
    before = [await clients(app, name).get_request(info.request_id) for name, info in made]
    after = [await clients(again, name).get_request(info.request_id) for name, info in made]
    assert after == before
    assert (await linking(clients(again, "jpmorgan")).get_link(link.link_id)).linked_request_id == linked.request_id
    # what a customer scans still leads where it did: the static link's payload to the request linked now
    paid = await pay(http(again), link.payload)
    assert paid.status_code == 200 and paid.json()["request_id"] == linked.request_id


async def test_idempotent_replays_still_answer_after_a_reload(tmp_path, sb_clock, clients, http, jpm_body):
    app = create_app(clock=sb_clock)
    body = jpm_body(ident=uuid.uuid4().hex, paymentAmount="9.90")
    headers = {**AUTH, "Idempotency-Key": "key-1"}
    first = await http(app).post(f"{JPM_API}/payment-requests", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert "duplicate-request" not in first.headers
    pix_spec = charge("5.00", "BRL")
    pix_first = await clients(app, "pix").create_request(pix_spec)
    path = tmp_path / "state.json"
    persist.save(state_of(app), path)

    again = reloaded(path, sb_clock)
    replay = await http(again).post(f"{JPM_API}/payment-requests", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers["Duplicate-Request"] == "true"
    other = jpm_body(ident=uuid.uuid4().hex, paymentAmount="9.91")
    refused = await http(again).post(f"{JPM_API}/payment-requests", json=other, headers=headers)
    assert refused.status_code == 422
    # the Pix client sends the sale's request_control_key again: the same QR Code answers, not a second one
    pix_again = await clients(again, "pix").create_request(pix_spec)
    assert pix_again.request_id == pix_first.request_id and pix_again.payload == pix_first.payload
    assert sorted(r.provider for r in state_of(again).requests()) == ["jpmorgan", "pix"]


async def test_a_pix_due_date_charge_owes_the_same_after_a_reload(tmp_path, sb_clock, clients, http):
    app = create_app(clock=sb_clock)
    info = await clients(app, "pix").create_request(charge("10.25", "BRL", due=TERMS))
    late = datetime(2025, 4, 1, 10, 0, tzinfo=BRASILIA)
    sb_clock.set(late)
    owed = amount_due(Money(1025, "BRL"), TERMS, late.date()).total
    req = state_of(app).request("pix", info.request_id)
    assert req is not None and req.owed is not None and req.owed(late) == owed != Money(1025, "BRL")
    path = tmp_path / "state.json"
    persist.save(state_of(app), path)

    again = reloaded(path, sb_clock)
    revived = state_of(again).request("pix", info.request_id)
    assert revived is not None and revived.owed is not None and revived.owed(late) == owed
    part = await pay(http(again), info.payload, "10.25")  # the charge's own amount is no longer enough
    assert part.status_code == 200 and part.json()["status"] == "active"
    rest = await pay(http(again), info.payload)
    assert rest.json()["status"] == "finished" and rest.json()["amount_paid"] == str(owed)
    consult = await clients(again, "pix").get_request(info.request_id)
    assert consult.amount_paid == owed
    events = (
        await http(again).get(f"/pix/account/{_pix_owner(revived)}/qrcode/{info.request_id}", headers=AUTH)
    ).json()
    assert [e["event_type"] for e in events["qr_code_events"]].count("payment") == 2  # the payment hook, revived


def _pix_owner(req: SimRequest) -> str:
    return f"{req.extra['account']}/alias/{req.extra['alias']}"


async def test_a_provider_not_mounted_keeps_its_records_for_the_next_save(tmp_path, sb_clock, clients, http):
    app = create_app(clock=sb_clock)
    info = await clients(app, "pix").create_request(charge("10.25", "BRL", due=TERMS))
    path = tmp_path / "state.json"
    persist.save(state_of(app), path)
    jpm_only = reloaded(path, sb_clock, modules=("app.sandbox.jpmorgan",))
    assert state_of(jpm_only).requests() == []
    assert (await pay(http(jpm_only), info.payload)).status_code == 404  # not spoken here: not payable here
    await linking(clients(jpm_only, "jpmorgan")).create_link("k", "counter")
    persist.save(state_of(jpm_only), path)

    everything = reloaded(path, sb_clock)
    assert sorted(r["provider"] for r in state_of(everything).snapshot()["requests"]) == ["pix"]
    assert len(state_of(everything).links()) == 1
    sb_clock.set(datetime(2025, 4, 1, 10, 0, tzinfo=BRASILIA))
    paid = await pay(http(everything), info.payload)
    assert paid.json()["amount_paid"] == str(amount_due(Money(1025, "BRL"), TERMS, date(2025, 4, 1)).total)


def test_no_file_loads_nothing_and_a_full_state_refuses_a_load(tmp_path, sb_clock):
    state = state_of(create_app(clock=sb_clock))
    assert persist.load(state, tmp_path / "absent.json") is False
    assert state.requests() == [] and not (tmp_path / "absent.json").exists()
    state.add_request(
        SimRequest("r1", "jpmorgan", Money(100, "BRL"), "ref", state.now(), None, "000201payload"),
    )
    persist.save(state, tmp_path / "s.json")
    with pytest.raises(ValueError, match="empty"):
        persist.load(state, tmp_path / "s.json")


@pytest.mark.parametrize(
    "damage",
    [
        b"{not json",
        b"[]",
        json.dumps({"version": 99, "requests": []}).encode(),
        json.dumps({"version": 1, "requests": [{"provider": "jpmorgan", "id": 5}]}).encode(),
        json.dumps({"version": 1, "requests": [{"provider": "jpmorgan", "amount": {"$money": [1, "XXQ"]}}]}).encode(),
        json.dumps({"version": 1, "offset": {"$dataclass": "os.system", "fields": {}}}).encode(),
    ],
    ids=["not-json", "not-object", "other-version", "wrong-type", "bad-money", "foreign-class"],
)
def test_a_damaged_file_is_set_aside_with_a_warning_and_the_sandbox_starts_empty(tmp_path, sb_clock, caplog, damage):
    path = tmp_path / "sandbox-demo.json"
    path.write_bytes(damage)
    state = state_of(create_app(clock=sb_clock))
    with caplog.at_level(logging.WARNING, logger="tillqr.sandbox.persist"):
        assert persist.load(state, path) is False
    assert state.requests() == [] and state.links() == [] and state.offset == timedelta(0)
    [aside] = list(tmp_path.glob("sandbox-demo.json.damaged-*"))
    assert aside.read_bytes() == damage and not path.exists()
    assert any(aside.name in r.getMessage() and "starts empty" in r.getMessage() for r in caplog.records)
    persist.save(state, path)  # and the next save writes a good one again
    assert persist.load(state_of(create_app(clock=sb_clock)), path) is True


def test_the_file_is_private_and_replaced_whole(tmp_path, sb_clock):
    path = tmp_path / "state.json"
    path.write_text("old")
    path.chmod(0o644)
    state = state_of(create_app(clock=sb_clock))
    persist.save(state, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state.json.lock").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.lock"]  # no temp file left
    assert json.loads(path.read_bytes())["version"] == persist.VERSION


async def test_the_keeper_saves_each_change_in_the_background(tmp_path, sb_clock, clients):
    app = create_app(clock=sb_clock)
    keeper = StateKeeper(state_of(app), tmp_path / "state.json")
    assert keeper.load() is False
    spec = BY_NAME["jpmorgan"]
    watched = spec.create(
        base_url=f"{BASE}/jpmorgan",
        credentials=spec.demo_credentials(),
        transport=httpx.ASGITransport(app=keeper.watch(app)),
    )
    try:
        info = await watched.create_request(charge("3.00", "BRL"))
        await keeper.settled()  # no save() from here: the one the call started in the background
        on_disk = reloaded(tmp_path / "state.json", sb_clock)  # as a process killed right now would leave it
        assert [r.id for r in state_of(on_disk).requests()] == [info.request_id]
    finally:
        await watched.aclose()


async def test_a_save_over_another_process_changes_warns(tmp_path, sb_clock, caplog):
    path = tmp_path / "state.json"
    keeper = StateKeeper(state_of(create_app(clock=sb_clock)), path)
    keeper.load()
    await keeper.save()
    other = state_of(create_app(clock=sb_clock))
    persist.load(other, path)
    other.advance(5)
    persist.save(other, path)  # another process saved in between
    with caplog.at_level(logging.WARNING, logger="tillqr.sandbox.persist"):
        await keeper.save()
    assert any("another TillQR process" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tillqr.sandbox.persist"):
        await keeper.save()  # its own last save: no warning
    assert caplog.records == []


def test_values_read_back_as_they_were_written():
    value = {
        "$tag-like key": ("a", 1, Decimal("0.10")),
        "when": datetime(2025, 3, 1, 9, 30, tzinfo=BRASILIA),
        "day": date(2025, 3, 1),
        "gap": timedelta(days=1, microseconds=5),
        "phase": Phase.OPEN,
        "terms": TERMS,
        "nested": [{"money": Money(5, "INR")}, None, True, 1.5],
    }
    back = decode(json.loads(json.dumps(encode(value))))
    assert back == value and type(back["$tag-like key"]) is tuple and back["phase"] is Phase.OPEN
    with pytest.raises(TypeError, match="cannot hold"):
        encode({"f": object()})
    with pytest.raises(TypeError, match="only text keys"):
        encode({1: "x"})
