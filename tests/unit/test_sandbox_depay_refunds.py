"""The Depay sandbox's refunds, notification delivery (retries, cap, never blocking) and faults."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.sandbox import create_app
from app.sandbox.depay_flow import notifier
from app.sandbox.depay_notify import ATTEMPTS
from tests.support.waiting import until

from .test_sandbox_depay import API, AUTH, HOOK, SEED_REFUND, body, create, dp_app, drain, history, http, order, pay, rx  # noqa: F401  (dp_app, http, rx are fixtures)


# -- refunds ---------------------------------------------------------------------------------------
async def paid(http, **override) -> dict:
    got = await create(http, **override)
    assert (await pay(http, got["qr_data"])).json()["status"] == "COMPLETED"
    return got


async def refund(http, status=200, **fields):
    r = await http.post(f"{API}/qr/refund", json=fields, headers=AUTH)
    assert r.status_code == status, r.text
    return r.json()


def notice(got: dict, status: str, ref: str) -> dict:
    return {
        "order_id": got["order_id"],
        "type": "REFUND",
        "status": status,
        "message": "Refund RECHAZADA" if status == "REJECTED" else "Refund DEVUELTA",
        "external_reference": ref,
    }


async def test_the_seed_refund_example_refunds_in_full(http, dp_app, rx):
    got = await paid(http, amount=1000, external_reference="ref-rf")
    answer = await refund(http, **dict(SEED_REFUND, order_id=got["order_id"]))
    assert set(answer) == {"id", "status"} and answer["status"] == "PENDING" and uuid.UUID(answer["id"])
    o = await order(http, got["order_id"])
    assert o["status"] == "REFUNDED" and history(o)[-3:] == ["COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"]
    await drain(dp_app)
    refunds = [(u, b) for u, b in rx.got if b.get("type") == "REFUND"]
    assert {u for u, _ in refunds} == {SEED_REFUND["notification_url"]}  # the refund's own notification_url
    # the seed's two refund callback bodies: the in-between step, then the end
    assert [b for _, b in refunds] == [notice(got, "PARTIALLY_REFUNDED", "ref-rf"), notice(got, "REFUNDED", "ref-rf")]
    again = await refund(http, 409, **dict(SEED_REFUND, order_id=got["order_id"]))
    assert again == {"statusCode": 409, "message": "The order is totally refunded."}


async def test_partial_refunds_then_the_rest(http, dp_app, rx):
    got = await paid(http, amount=1000)
    await refund(http, order_id=got["order_id"], partial=True, amount=400, reason="one item")
    o = await order(http, got["order_id"])
    # the order table's word for the order; the history has the refund's own steps, ending REFUNDED
    assert o["status"] == "PARTIALLY_REFUNDED" and history(o)[-3:] == ["COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"]
    await refund(http, order_id=got["order_id"], partial=True, amount=100.5, reason="another")
    await refund(http, order_id=got["order_id"], partial=False, amount=499.5, reason="the rest")
    o = await order(http, got["order_id"])
    assert o["status"] == "REFUNDED"
    assert history(o)[-7:] == ["COMPLETED"] + ["PARTIALLY_REFUNDED", "REFUNDED"] * 3
    await drain(dp_app)
    assert [b["status"] for b in rx.bodies("REFUND")] == ["PARTIALLY_REFUNDED", "REFUNDED"] * 3
    assert all(u == HOOK for u, b in rx.got)  # no refund URL given: the order's


async def test_a_refund_ending_in_9_is_rejected_and_leaves_the_order(http, dp_app, rx):
    got = await paid(http, amount=1000, external_reference="ref-9")
    assert (await refund(http, order_id=got["order_id"], partial=True, amount=99, reason="x"))["status"] == "PENDING"
    o = await order(http, got["order_id"])
    assert o["status"] == "COMPLETED" and history(o)[-2:] == ["COMPLETED", "REJECTED"]  # nothing was taken
    await drain(dp_app)
    assert rx.bodies("REFUND") == [notice(got, "REJECTED", "ref-9")]
    await refund(http, order_id=got["order_id"], partial=False, amount=1000, reason="all")  # nothing was taken
    o = await order(http, got["order_id"])
    assert o["status"] == "REFUNDED" and history(o)[-4:] == ["COMPLETED", "REJECTED", "PARTIALLY_REFUNDED", "REFUNDED"]


async def test_a_refund_goes_pending_then_partially_refunded_then_refunded_over_the_settle_delay(sb_clock, rx):
    app = create_app(clock=sb_clock, notify_transport=httpx.ASGITransport(app=rx.app))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        got = await paid(http)
        app.state.sandbox.settings = type(app.state.sandbox.settings)(settle_delay_s=4)
        await refund(http, order_id=got["order_id"], partial=False, amount=1000, reason="r")
        o = await order(http, got["order_id"])
        assert o["status"] == "COMPLETED" and history(o)[-1] == "COMPLETED"  # PENDING: nothing shows yet
        await refund(http, 409, order_id=got["order_id"], partial=True, amount=1, reason="r")  # all is pending
        sb_clock.advance(2)  # the seed's in-between step: taken from the merchant, not yet with the customer
        o = await order(http, got["order_id"])
        assert o["status"] == "PARTIALLY_REFUNDED" and history(o)[-2:] == ["COMPLETED", "PARTIALLY_REFUNDED"]
        sb_clock.advance(2)
        o = await order(http, got["order_id"])
        assert o["status"] == "REFUNDED" and history(o)[-3:] == ["COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"]
        await drain(app)
        assert [b["status"] for b in rx.bodies("REFUND")] == ["PARTIALLY_REFUNDED", "REFUNDED"]


async def test_an_orders_refunds_run_one_after_another(sb_clock, rx):
    app = create_app(clock=sb_clock, notify_transport=httpx.ASGITransport(app=rx.app))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        got = await paid(http)
        app.state.sandbox.settings = type(app.state.sandbox.settings)(settle_delay_s=4)
        await refund(http, order_id=got["order_id"], partial=True, amount=300, reason="a")
        sb_clock.advance(1)
        await refund(http, order_id=got["order_id"], partial=True, amount=209, reason="b")  # rejected, in turn
        await refund(http, order_id=got["order_id"], partial=True, amount=100, reason="c")
        sb_clock.advance(3)  # the first has ended; the second starts now
        assert history(await order(http, got["order_id"]))[-3:] == ["COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"]
        sb_clock.advance(4)  # the second ends (rejected), the third starts
        o = await order(http, got["order_id"])
        assert o["status"] == "PARTIALLY_REFUNDED" and history(o)[-1] == "REJECTED"
        sb_clock.advance(4)
        o = await order(http, got["order_id"])
        assert o["status"] == "PARTIALLY_REFUNDED"
        assert history(o)[3:] == [
            "COMPLETED",
            "PARTIALLY_REFUNDED",
            "REFUNDED",
            "REJECTED",
            "PARTIALLY_REFUNDED",
            "REFUNDED",
        ]
        await drain(app)


@pytest.mark.parametrize(
    "fields, status, message",
    [
        ({}, 400, ["order_id is required", "partial is required", "amount is required", "reason is required"]),
        ({"partial": "no"}, 400, ["partial must be a boolean value"]),
        ({"amount": 0}, 400, ["amount must be a positive number"]),
        ({"amount": 1.001}, 400, ["amount must have at most 2 decimal places"]),
        ({"amount": 2000}, 400, ["amount must not be greater than the refundable amount 1000.00"]),
        (
            {"partial": False, "amount": 10},
            400,
            ["amount must be the refundable amount 1000.00 for a full refund (partial: false)"],
        ),
        ({"reason": 5}, 400, ["reason must be a string"]),
        ({"notification_url": "nope"}, 400, ["notification_url must be a URL address"]),
        ({"tip": 1}, 400, ["property tip should not exist"]),
        ({"order_id": "7478bd70-87ad-49d0-9143-9b148d776fc7"}, 404, "ORDER_NOT_FOUND"),
    ],
)
async def test_refund_errors(http, fields, status, message):
    got = await paid(http, amount=1000)
    base = {"order_id": got["order_id"], "partial": True, "amount": 10, "reason": "r"} if fields else {}
    assert await refund(http, status, **{**base, **fields}) == {"statusCode": status, "message": message}


async def test_only_completed_orders_can_be_refunded(http):
    got = await create(http)
    assert await refund(http, 409, order_id=got["order_id"], partial=False, amount=1000, reason="r") == {
        "statusCode": 409,
        "message": "The order is not completed.",
    }


# -- notifications: background, retried, capped, recorded ---------------------------------------------
async def test_failed_deliveries_are_retried_then_given_up(http, dp_app, rx):
    notifier(dp_app.state.sandbox).backoff_s = 0.001
    rx.fail = 2
    await create(http)
    await drain(dp_app)
    [record] = list(dp_app.state.sandbox.notifications)
    assert record["status"] == "delivered" and record["attempts"] == 3 and record["kind"] == "creation"
    rx.fail = 100
    await create(http)
    await drain(dp_app)
    last = dp_app.state.sandbox.notifications[-1]
    assert last["status"] == "failed" and last["attempts"] == ATTEMPTS and last["response_status"] == 500


async def test_a_receiver_that_never_answers_does_not_hold_the_api(sb_clock):
    async def slow(request):
        await asyncio.Event().wait()  # never answers: only the notifier's own timeout ends the call

    app = create_app(
        clock=sb_clock,
        notify_transport=httpx.ASGITransport(app=Starlette(routes=[Route("/{p:path}", slow, methods=["POST"])])),
    )
    notifier(app.state.sandbox).timeout_s = 0.05
    notifier(app.state.sandbox).attempts = 1
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        async with asyncio.timeout(1):
            got = await create(http)
            await pay(http, got["qr_data"])
        await drain(app)
    assert [r["status"] for r in app.state.sandbox.notifications] == ["failed", "failed"]


async def test_unreachable_placeholder_urls_are_skipped(http, dp_app, rx):
    await create(http, notification_url="https://notifications.invalid/tillqr")
    [record] = list(dp_app.state.sandbox.notifications)
    assert record["status"] == "skipped" and rx.got == []


# -- faults and the sandbox's truth ---------------------------------------------------------------------
async def test_error_faults_answer_503_in_depay_shape(http):
    await http.post("/_sandbox/faults", json={"error_rate": 1})
    r = await http.post(f"{API}/qr", json=body(), headers=AUTH)
    assert r.status_code == 503 and set(r.json()) == {"statusCode", "message"} and r.json()["statusCode"] == 503
    assert (await http.get("/_sandbox/state")).json()["requests"] == []


async def test_sandbox_state_lists_depay_orders(http):
    got = await create(http, external_reference="sale-77", amount=12.5)
    [row] = (await http.get("/_sandbox/state")).json()["requests"]
    assert row == {
        "id": got["order_id"],
        "provider": "depay",
        "status": "CREATED",
        "amount": "12.50",
        "amount_paid": "0.00",
        "linked_to": None,
        "external_reference": "sale-77",
    }


async def test_an_order_expires_and_is_notified_without_anyone_reading_it(monkeypatch, rx):
    import app.sandbox.depay as depay

    monkeypatch.setattr(depay, "EXPIRY", timedelta(seconds=0.2))  # real clock, a short life
    app = create_app(notify_transport=httpx.ASGITransport(app=rx.app))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        got = await create(http)
        await until(lambda: rx.bodies("PAYMENT"))  # fired by its own timer: nobody asks about the order
        await drain(app)
    assert [(b["order_id"], b["status"]) for b in rx.bodies("PAYMENT")] == [(got["order_id"], "CANCELED")]


class _SlowToClose(httpx.AsyncBaseTransport):
    """A receiver's transport whose close takes a while: the moment a notification may be queued in between."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.closing = asyncio.Event()
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        self.closing.set()
        await self.release.wait()


async def test_a_notification_queued_while_the_worker_closes_its_client_is_still_sent() -> None:
    """The worker had sent everything and was closing its HTTP client when a refund's notification came: it was
    marked failed ("sandbox shut down") and never sent (seen once under load on a bare Debian 12)."""
    got: list[dict] = []

    async def receive(request):
        got.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    transport = _SlowToClose(Starlette(routes=[Route("/{p:path}", receive, methods=["POST"])]))
    app = create_app(notify_transport=transport)
    sender = notifier(app.state.sandbox)
    first = sender.send("http://till.test/hook", {"n": 1}, "payment")
    await asyncio.wait_for(transport.closing.wait(), 5)  # delivered; the worker is closing its client
    second = sender.send("http://till.test/hook", {"n": 2}, "refund")
    transport.release.set()
    await sender.drain(timeout=5)
    assert (first["status"], second["status"]) == ("delivered", "delivered") and got == [{"n": 1}, {"n": 2}]
