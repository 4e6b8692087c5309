import asyncio

from app.checkout.watcher import PollingWatcher
from app.domain.sale import SaleStatus
from tests.support.till import demo_till
from tests.support.waiting import until


def test_backoff_grows_with_jitter_within_bounds():
    w = PollingWatcher(None, "r", None, interval=1.0, max_backoff=15.0, rng=lambda: 1.0)  # type: ignore[arg-type]
    assert [w.backoff(n) for n in (1, 2, 3, 4, 5, 9)] == [2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    low = PollingWatcher(None, "r", None, interval=1.0, rng=lambda: 0.0)  # type: ignore[arg-type]
    assert all(low.backoff(n) == 1.0 for n in range(1, 8))  # never faster than the normal interval


async def test_watcher_follows_until_final_and_reports_trouble_once(tmp_path):
    async with demo_till(tmp_path, poll_interval=30) as rt:  # the controller's own watcher stays quiet
        sale = await rt.controller.charge("4.00")
        seen, trouble = [], []

        async def on_info(info):
            seen.append(info.status)
            return not info.status.is_open

        w = PollingWatcher(
            rt.provider, sale.request_id, on_info, on_trouble=trouble.append, interval=0.02, max_backoff=0.1
        ).start()
        task = w._task
        await until(lambda: SaleStatus.LINKED in seen)
        await rt.sandbox.faults(error_rate=1.0)
        failing_from = w.polls
        await until(lambda: w.polls >= failing_from + 4)  # several polls fail in a row ...
        await rt.sandbox.faults()
        await rt.sandbox.pay(sale.payload)
        await until(lambda: not w.running)
        assert seen[-1] == SaleStatus.SETTLED
        assert len([t for t in trouble if t is not None]) == 1 and trouble[-1] is None  # ... lost once, back once
        assert task is not None and task.done()  # stopped for good: its task has ended, nothing polls again


async def test_stop_cancels_polling(tmp_path):
    async with demo_till(tmp_path, poll_interval=30) as rt:
        sale = await rt.controller.charge("4.00")

        async def on_info(info):
            return False

        w = PollingWatcher(rt.provider, sale.request_id, on_info, interval=0.01).start()
        task = w._task
        await until(lambda: w.polls >= 3)
        await w.stop()
        assert not w.running and task is not None and task.done()  # ended: nothing polls again
        await rt.controller.cancel()


async def test_stop_at_the_moment_a_push_wakes_the_watcher_really_stops(tmp_path):
    """Python 3.11's wait_for swallows a cancel that lands as the event is set: the watcher then
    polled on, and a cancel waiting on stop() while holding the controller's lock hung for ever."""
    from tests.support.till import demo_till

    async with demo_till(tmp_path, poll_interval=30) as rt:  # one poll, then a long pause
        sale = await rt.controller.charge("5.00")
        handed: list = []

        async def on_info(info):
            handed.append(info.status)
            return False

        from app.checkout.watcher import PollingWatcher

        watcher = PollingWatcher(rt.provider, sale.request_id, on_info, interval=30).start()
        task = watcher._task
        await until(lambda: handed)
        assert len(handed) == 1  # polled once, now pausing for 30 s
        watcher._wake.set()  # a push arrives ...
        async with asyncio.timeout(10):
            await watcher.stop()  # ... as it is stopped: it must end
        assert not watcher.running and task is not None and task.done()  # its task is over: nothing more ...
        assert len(handed) == 1  # ... is handed on after stop()
        await rt.controller.cancel()
