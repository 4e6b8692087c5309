"""pytest-qt + qasync: the Qt loop is the asyncio loop in UI tests too.

The ``aloop`` fixture makes the app's qasync loop (app.ui.qtloop.TillEventLoop) on pytest-qt's QApplication and
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

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.ui.app import apply_style
from app.ui.qtloop import TillEventLoop

# Closed loops are kept until the session ends. Collected mid-session, a loop's qasync timer object (a
# Python subclass of QObject with Qt timers still armed, e.g. a cancelled 60 s expiry) was destroyed by
# the garbage collector while Qt was activating timers, and Qt then delivered a timer event to the freed
# object: a segmentation fault, a few seconds into a later long test. The app has one loop per process.
_CLOSED_LOOPS: list = []


@pytest.fixture
def aloop(qapp):
    apply_style(qapp)
    loop = TillEventLoop(qapp, already_running=True)
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
    _CLOSED_LOOPS.append(loop)


@pytest.fixture
def run(qtbot, aloop) -> Callable[..., Any]:
    """run(coro, timeout=10) → its result, with Qt (and so asyncio) spinning meanwhile."""

    def _run(coro: Awaitable[Any], timeout: float = 10.0) -> Any:
        task = asyncio.ensure_future(coro)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return _run


@pytest.fixture
def till(qtbot, run, tmp_path):
    """open(provider=None, duration_s=…, size=…) → (window, view, runtime) on the real controller and the
    in-process sandbox (demo mode), closed again after the test."""
    from app.runtime import open_runtime
    from app.ui.app import compose

    opened = []

    def open_till(*, provider: str | None = None, duration_s: int = 60, size=(1280, 800)):
        rt = run(
            open_runtime(
                demo=True,
                provider=provider,
                home=tmp_path / f"home{len(opened)}",
                duration_s=duration_s,
                poll_interval=0.05,
            )
        )
        window = compose(rt)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        opened.append((window, rt))
        return window, window.counter, rt

    yield open_till
    for window, rt in opened:
        window.close()
        run(rt.aclose())


# -- a whole window on a home folder, as the app composes it (Settings, PIN, navigation) -------------
@pytest.fixture
def window_for(qtbot, run, tmp_path):
    """``window_for(home, size)``: the main window on ``home``, shown and active; closed after the test."""
    from app.ui.app import compose, open_or_fallback

    opened = []

    def open_window(home, size=(1280, 800), **compose_kw):
        rt, problem = run(open_or_fallback(demo=None, provider=None, home=home, poll_interval=0.05))
        window = compose(rt, config_file=home / "config" / "config.toml", problem=problem, **compose_kw)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)  # shortcuts (F1…F3) go to the active window
        opened.append((window, rt))
        return window

    yield open_window
    for window, rt in opened:
        if window.pin_dialog is not None:
            window.pin_dialog.reject()
        window.close()
        run(rt.aclose())
