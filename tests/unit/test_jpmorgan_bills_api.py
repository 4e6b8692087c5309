"""The J.P. Morgan client's calls for field agents' bills, against the in-process sandbox over real HTTP:
amount updates with revisions, bulk creation, searches, due-date requests, returned payments.
Malformed bulk answers come from ``httpx.MockTransport`` (a provider's reply, not our code)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from app.domain.duedate import amount_due, payable_until
from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.providers.base import (
    BulkProvider,
    ChargeSpec,
    ProviderConflict,
    ProviderProtocolError,
    ProviderRejected,
    SearchingProvider,
    UpdatingProvider,
    bulk,
    searching,
    updating,
)
from app.providers.jpmorgan import JPMorganProvider
from app.providers.razorpay import RazorpayProvider
from app.retry import FakeTimer

from .conftest import T0

RID = "e" * 32


def brl(text: str) -> Money:
    return Money.parse(text, "BRL", allow_zero=True)


def spec(
    request_id: str = RID,
    amount: str = "10.00",
    *,
    external_id: str | None = None,
    due: DueTerms | None = None,
    reference: str = "bill",
) -> ChargeSpec:
    return ChargeSpec(
        request_id=request_id,
        amount=brl(amount),
        reference=reference,
        duration_s=3600,
        idempotency_key=request_id,
        due=due,
        external_id=external_id,
    )


def rid(n: int) -> str:
    return f"{n:032d}"


async def pay(sb_http, payload: str, amount: str | None = None) -> dict:
    r = await sb_http.post("/_sandbox/pay", json={"payload": payload, **({"amount": amount} if amount else {})})
    assert r.status_code == 200, r.text
    return r.json()


async def hook(sb_http, name: str, **body) -> dict:
    r = await sb_http.post(f"/_sandbox/{name}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def calls(sb_http) -> int:
    return (await sb_http.get("/_sandbox/calls")).json()["count"]


# -- the protocols ---------------------------------------------------------------------------
async def test_jpmorgan_narrows_to_every_bills_protocol_and_others_do_not():
    assert isinstance(updating(jpm_any := JPMorganProvider("https://x/jpmorgan", "t")), UpdatingProvider)
    assert isinstance(bulk(jpm_any), BulkProvider) and bulk(jpm_any).max_bulk == 25
    assert isinstance(searching(jpm_any), SearchingProvider)
    rzp = RazorpayProvider("https://x/razorpay", "key", "secret")
    for narrow in (updating, bulk, searching):
        with pytest.raises(TypeError, match="razorpay has no"):
            narrow(rzp)
    await jpm_any.aclose()
    await rzp.aclose()


# -- amount updates --------------------------------------------------------------------------
async def test_update_sets_the_amount_and_moves_the_revision(jpm, sb_http):
    created = await jpm.create_request(spec(external_id="BILL-1"))
    assert created.revision == 0 and created.external_id == "BILL-1" and created.due_date is None
    updated = await jpm.update_request(RID, brl("45.10"), revision=0, idempotency_key="upd-1")
    assert updated.amount == brl("45.10") and updated.revision == 1 and updated.status is SaleStatus.LINKED
    assert (await jpm.get_request(RID)) == updated
    paid = await pay(sb_http, updated.payload)  # the redrawn QR (and what a customer pays) is the new amount
    assert paid["amount_paid"] == "45.10" and paid["status"] == "SETTLED"
    assert (await jpm.get_request(RID)).revision == 2, "settling is a change too"


async def _settled(jpm, sb_http, sb_clock) -> None:
    await pay(sb_http, (await jpm.get_request(RID)).payload)


async def _cancelled(jpm, sb_http, sb_clock) -> None:
    await jpm.cancel_request(RID, "cancel-1")


async def _expired(jpm, sb_http, sb_clock) -> None:
    sb_clock.advance(3601)


async def _returned(jpm, sb_http, sb_clock) -> None:
    await _settled(jpm, sb_http, sb_clock)
    await hook(sb_http, "return", request_id=RID)


@pytest.mark.parametrize(
    "end, word",
    [(_settled, "SETTLED"), (_cancelled, "CANCELLED"), (_expired, "EXPIRED"), (_returned, "RETURNED")],
    ids=["settled", "cancelled", "expired", "returned"],
)
async def test_update_of_a_request_no_longer_active_is_refused(jpm, sb_http, sb_clock, end, word):
    await jpm.create_request(spec())
    await end(jpm, sb_http, sb_clock)
    revision = (await jpm.get_request(RID)).revision
    with pytest.raises(ProviderConflict) as exc:
        await jpm.update_request(RID, brl("45.10"), revision=revision, idempotency_key="upd-late")
    assert exc.value.code == "NOT_ACTIVE" and exc.value.status_code == 409 and word in exc.value.message
    assert (await jpm.get_request(RID)).provider_status == word


async def test_a_change_at_the_provider_makes_the_old_revision_a_conflict(jpm, sb_http):
    await jpm.create_request(spec())
    changed = await hook(sb_http, "change", request_id=RID, amount="99.00")
    assert changed["amount"] == "99.00" and changed["status"] == "ACTIVE" and changed["provider"] == "jpmorgan"
    info = await jpm.get_request(RID)
    assert info.revision == 1 and info.amount == brl("99.00")
    with pytest.raises(ProviderConflict) as exc:
        await jpm.update_request(RID, brl("45.10"), revision=0, idempotency_key="upd-1")
    assert exc.value.code == "REVISION_MISMATCH" and exc.value.status_code == 412
    assert (await jpm.get_request(RID)).amount == brl("99.00"), "nothing overwritten"
    forced = await jpm.update_request(RID, brl("45.10"), revision=None, idempotency_key="upd-2")
    assert forced.amount == brl("45.10") and forced.revision == 2


async def test_an_update_replayed_after_the_revision_moved_answers_the_first_answer(jpm, sb_http):
    await jpm.create_request(spec())
    first = await jpm.update_request(RID, brl("45.10"), revision=0, idempotency_key="upd-1")
    await hook(sb_http, "change", request_id=RID, amount="50.00")
    again = await jpm.update_request(RID, brl("45.10"), revision=0, idempotency_key="upd-1")
    assert again == first and again.revision == 1
    now = await jpm.get_request(RID)
    assert now.amount == brl("50.00") and now.revision == 2, "the replay changed nothing"


async def test_an_update_can_move_the_due_date_and_terms(jpm, sb_http):
    terms = DueTerms(date(2025, 3, 10), 5, brl("2.00"), brl("0.10"), brl("0"))
    await jpm.create_request(spec(due=terms))
    later = DueTerms(date(2025, 3, 20), 5, brl("3.00"), brl("0.10"), brl("0"))
    info = await jpm.update_request(RID, brl("20.00"), revision=0, idempotency_key="upd-1", due=later)
    assert info.due_date == date(2025, 3, 20) and info.expires_at == payable_until(later)
    assert info.amount == brl("20.00") and info.revision == 1


# -- bulk creation ---------------------------------------------------------------------------
async def test_bulk_with_a_bad_item_among_good_ones(jpm, sb_http):
    specs = [spec(rid(1), external_id="B1"), spec(rid(2), reference="x" * 141), spec(rid(3), "7.50")]
    items = await jpm.create_requests(specs, "batch-1")
    assert [(i.index, i.request_id) for i in items] == [(0, rid(1)), (1, rid(2)), (2, rid(3))]
    assert items[0].info is not None and items[0].error is None and items[0].info.external_id == "B1"
    assert items[2].info is not None and items[2].info.amount == brl("7.50")
    bad = items[1]
    assert bad.info is None and isinstance(bad.error, ProviderRejected) and bad.error.code == "INVALID_REQUEST"
    assert "reference" in bad.error.message and bad.error.status_code == 400
    ids = {r["id"] for r in (await sb_http.get("/_sandbox/state")).json()["requests"]}
    assert ids == {rid(1), rid(3)}


async def test_bulk_of_more_than_25_is_refused_before_sending(jpm, sb_http):
    before = await calls(sb_http)
    with pytest.raises(ValueError, match="1 to 25"):
        await jpm.create_requests([spec(rid(n)) for n in range(26)], "batch-big")
    with pytest.raises(ValueError):
        await jpm.create_requests([], "batch-empty")
    assert await calls(sb_http) == before
    assert len(await jpm.create_requests([spec(rid(n)) for n in range(25)], "batch-25")) == 25


async def test_bulk_replay_and_per_item_replay(jpm, sb_http):
    specs = [spec(rid(1)), spec(rid(2))]
    first = await jpm.create_requests(specs, "batch-1")
    assert await jpm.create_requests(specs, "batch-1") == first, "the same call again: the first answer"
    # A resumed import regroups the items: one already made (same body) among a new one, under a new key.
    regrouped = await jpm.create_requests([spec(rid(2)), spec(rid(4))], "batch-2")
    assert [i.info is not None and i.error is None for i in regrouped] == [True, True]
    assert regrouped[0].info == first[1].info
    clash = await jpm.create_requests([spec(rid(1), "11.00")], "batch-3")  # the same id, another body
    assert isinstance(clash[0].error, ProviderConflict) and clash[0].error.code == "DUPLICATE_ID"
    state = (await sb_http.get("/_sandbox/state")).json()["requests"]
    assert sorted(r["id"] for r in state) == [rid(1), rid(2), rid(4)]
    assert next(r for r in state if r["id"] == rid(1))["amount"] == "10.00"


def _malformed(answer: object) -> JPMorganProvider:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(207, json=answer)

    return JPMorganProvider("http://jpm.test", "t", transport=httpx.MockTransport(reply), timer=FakeTimer())


def _item(index: int, ident: str) -> dict:
    request = {"paymentAmount": "10.00", "currency": "BRL"}
    return {"index": index, "httpStatus": 201, "paymentRequest": {"id": ident, "status": "ACTIVE", "request": request}}


@pytest.mark.parametrize(
    "answer, why",
    [
        ({"results": [_item(0, rid(1))]}, "1 results for 2"),
        ({"results": [_item(0, rid(1)), "oops"]}, "not a JSON object"),
        ({"results": [_item(1, rid(1)), _item(0, rid(2))]}, "numbered"),
        ({"results": [_item(0, rid(1)), _item(1, rid(9))]}, "not " + rid(2)),
        ({"results": [_item(0, rid(1)), {"index": 1, "httpStatus": 409}]}, "without an error body"),
        ({"items": []}, "no results list"),
    ],
    ids=["count", "not-object", "index", "other-id", "no-error-body", "no-results"],
)
async def test_malformed_bulk_answers_are_protocol_errors(answer, why):
    provider = _malformed(answer)
    try:
        with pytest.raises(ProviderProtocolError, match=why):
            await provider.create_requests([spec(rid(1)), spec(rid(2))], "batch")
    finally:
        await provider.aclose()


# -- searches --------------------------------------------------------------------------------
async def test_search_requests_by_status_external_id_and_date_follows_every_page(jpm, sb_http, sb_clock):
    for batch in range(5):  # 125 requests: more than one page of 100
        specs = [spec(rid(batch * 25 + n), external_id=f"ROUTE-{n % 2}") for n in range(25)]
        await jpm.create_requests(specs, f"batch-{batch}")
        sb_clock.advance(60)
    everything = await jpm.search_requests()
    assert [i.request_id for i in everything] == [rid(n) for n in range(125)], "every page, in creation order"
    odd = await jpm.search_requests(external_id="ROUTE-1")
    assert len(odd) == 60 and {i.external_id for i in odd} == {"ROUTE-1"}
    for n in (3, 30):
        await pay(sb_http, everything[n].payload)
    settled = await jpm.search_requests(status=SaleStatus.SETTLED)
    assert [i.request_id for i in settled] == [rid(3), rid(30)]
    assert len(await jpm.search_requests(status=SaleStatus.LINKED)) == 123
    assert await jpm.search_requests(status=SaleStatus.REFUNDED) == []
    window = await jpm.search_requests(created_from=T0 + timedelta(seconds=60), created_to=T0 + timedelta(seconds=120))
    assert [i.request_id for i in window] == [rid(n) for n in range(25, 50)]
    both = await jpm.search_requests(
        status=SaleStatus.SETTLED, external_id="ROUTE-1", created_from=T0 + timedelta(seconds=60)
    )
    assert [i.request_id for i in both] == [rid(30)], "filters combine"
    assert await jpm.search_requests(status=SaleStatus.SETTLED, external_id="ROUTE-0") == []


async def test_links_carry_their_external_id_and_are_found_by_it(jpm):
    made = await jpm.create_link("link-1", "bill 1", external_id="BILL-1")
    await jpm.create_link("link-2", "bill 2", external_id="BILL-2")
    plain = await jpm.create_link("link-3", "counter")
    assert made.external_id == "BILL-1" and plain.external_id is None
    assert await jpm.search_links(external_id="BILL-1") == [made]
    assert [link.link_id for link in await jpm.search_links()][-1] == plain.link_id
    assert (await jpm.get_link(made.link_id)).external_id == "BILL-1"


# -- due dates and returns ---------------------------------------------------------------------
async def test_a_due_date_request_owes_fine_and_interest_after_its_due_date(jpm, sb_http, sb_clock):
    terms = DueTerms(date(2025, 3, 10), 30, brl("2.00"), brl("0.10"), brl("0.50"))
    info = await jpm.create_request(spec(amount="10.00", due=terms, external_id="BILL-7"))
    assert info.due_date == date(2025, 3, 10) and info.expires_at == payable_until(terms)
    assert info.amount == brl("10.00") and info.external_id == "BILL-7"
    sb_clock.set(T0.replace(day=13, hour=15))  # three days late (Brasília): fine + two days of interest
    owed = amount_due(brl("10.00"), terms, date(2025, 3, 13)).total
    assert owed == brl("11.70")  # 10.00 - 0.50 rebate + 2.00 fine + 2 x 0.10
    paid = await pay(sb_http, info.payload)
    assert paid["amount_paid"] == "11.70" and paid["status"] == "SETTLED"
    after = await jpm.get_request(RID)
    assert after.status is SaleStatus.SETTLED and after.amount_paid == owed and after.amount == brl("10.00")


async def test_a_due_date_request_expires_after_its_last_payable_day(jpm, sb_clock):
    terms = DueTerms(date(2025, 3, 10), 2, brl("0"), brl("0"), brl("0"))
    await jpm.create_request(spec(due=terms))
    sb_clock.set(payable_until(terms) - timedelta(seconds=1))
    assert (await jpm.get_request(RID)).status is SaleStatus.LINKED
    sb_clock.set(payable_until(terms))
    assert (await jpm.get_request(RID)).status is SaleStatus.EXPIRED


async def test_a_returned_payment_reads_returned(jpm, sb_http):
    info = await jpm.create_request(spec())
    await pay(sb_http, info.payload)
    answer = await hook(sb_http, "return", request_id=RID)
    assert answer["status"] == "RETURNED" and answer["amount_paid"] == "10.00"
    back = await jpm.get_request(RID)
    assert back.status is SaleStatus.RETURNED and back.provider_status == "RETURNED" and back.revision == 2
    assert [i.request_id for i in await jpm.search_requests(status=SaleStatus.RETURNED)] == [RID]
