"""pytest-qt + qasync: the Qt loop is the asyncio loop in UI tests too.

The ``aloop`` fixture makes a qasync QEventLoop on pytest-qt's QApplication and
marks it running (``already_running=True``), so asyncio callbacks run whenever
Qt processes events: ``@asyncSlot`` handlers started by ``qtbot.mouseClick`` or
``qtbot.keyClick`` make progress inside ``qtbot.waitUntil`` / ``qtbot.wait``,
exactly as in the app. ``run(coro)`` drives a coroutine the same way.

Teardown must not call ``loop.stop()``: it calls ``QApplication.exit()``, which
outside ``exec()`` sets Qt's quitNow flag, and every later ``QEventLoop.exec()``
(pytest-qt's waits) would then return at once.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import asyncio  # noqa: E402
from typing import Any, Awaitable, Callable  # noqa: E402

import pytest  # noqa: E402
import qasync  # noqa: E402

from app.ui.app import apply_style  # noqa: E402


@pytest.fixture
def aloop(qapp):
    apply_style(qapp)
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:  # let them unwind on the still-current loop
        qapp.processEvents()
    loop._QEventLoop__is_running = False  # see the module docstring: never loop.stop() here
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def run(qtbot, aloop) -> Callable[..., Any]:
    """run(coro, timeout=10) → its result, with Qt (and so asyncio) spinning meanwhile."""

    def _run(coro: Awaitable[Any], timeout: float = 10.0) -> Any:
        task = asyncio.ensure_future(coro)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return _run
