"""Push: status events wake the watcher at once; the controller never shows a status twice."""

import time
from decimal import Decimal

from app.checkout.events import SaleChanged
from app.checkout.push import JoinedHub, PushHub
from app.domain.sale import SaleStatus
from tests.support.till import demo_till
from tests.support.waiting import until


async def test_event_wakes_the_watcher_long_before_its_poll(tmp_path):
    async with demo_till(tmp_path, poll_interval=20) as rt:  # polling alone would take up to 20 s
        assert rt.hub is not None and rt.hub.connected
        sale = await rt.controller.charge("12.50")
        t0 = time.perf_counter()
        await rt.sandbox.pay(rt.link.payload)
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=5)
        assert closed.status == SaleStatus.SETTLED and time.perf_counter() - t0 < 5
        assert rt.hub.events >= 1


async def test_partial_payments_pushed_and_no_status_shown_twice(tmp_path):
    async with demo_till(tmp_path, poll_interval=0.05) as rt:  # push and fast polling race each other
        shown = []
        rt.controller.subscribe(
            lambda ev: (
                isinstance(ev, SaleChanged)
                and shown.append((ev.sale.status.value, str(ev.sale.received), ev.sale.closed, bool(ev.sale.payload)))
            )
        )
        sale = await rt.controller.charge("10.00")
        paid = Decimal("0")
        for part in ("2.00", "3.00", "5.00"):
            await rt.sandbox.pay(sale.payload, amount=part)
            paid += Decimal(part)
            seen = f"{paid:.2f}"
            await until(lambda seen=seen: any(r == seen for _st, r, _c, _s in shown))  # each part seen before the next
        await rt.controller.wait_closed(sale.sale_id, timeout=5)
        assert len(shown) == len(set(shown)), shown  # every state change shown exactly once
        received = [r for st, r, _closed, _shown in shown if st == "linked"]
        assert received[-2:] == ["2.00", "5.00"] and ("settled", "10.00", True, True) in shown


async def test_watcher_polls_slowly_while_pushed_and_normally_without(tmp_path):
    from app.checkout.watcher import PollingWatcher

    async with demo_till(tmp_path, poll_interval=30) as rt:
        sale = await rt.controller.charge("3.00")

        async def never_done(info):
            return False

        hub = PushHub()
        hub.connected = True
        pushed = PollingWatcher(
            rt.provider, sale.request_id, never_done, interval=0.05, hub=hub, slow_interval=10
        ).start()
        plain = PollingWatcher(rt.provider, sale.request_id, never_done, interval=0.05).start()
        await until(lambda: plain.polls >= 5)
        assert pushed.polls == 1  # while the plain one polled five times, the pushed one waited (10 s)
        hub.connected = False  # the socket drops: the next wait is the normal interval...
        hub.dispatch({"request_id": sale.request_id})  # ...and an event still wakes it at once
        await until(lambda: pushed.polls >= 5)
        hub.dispatch({"no": "id"})  # malformed events are ignored
        await pushed.stop()
        await plain.stop()
        await rt.controller.cancel()


async def test_a_joined_hub_wakes_on_either_and_polls_as_its_main_hub_says():
    main, beside = PushHub(), PushHub()
    joined = JoinedHub(main, beside)
    woken: list[str] = []
    unsubscribe = joined.subscribe("req-1", lambda: woken.append("req-1"))
    main.dispatch({"request_id": "req-1"})
    beside.dispatch({"request_id": "req-1"})
    beside.dispatch({"request_id": "req-2"})
    assert woken == ["req-1", "req-1"]
    beside.connected = True
    assert joined.connected is False  # the hint beside never slows polling
    main.connected = True
    assert joined.connected is True and JoinedHub(None, beside).connected is False
    unsubscribe()
    main.dispatch({"request_id": "req-1"})
    beside.dispatch({"request_id": "req-1"})
    assert woken == ["req-1", "req-1"]
