"""app.watchdog against a real AF_UNIX datagram socket standing where systemd's NOTIFY_SOCKET would be."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.watchdog import Watchdog

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="sd_notify is AF_UNIX (Linux)")


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A bound datagram socket, as systemd listens, and its address."""
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.setblocking(False)
        yield sock, path


async def _received(sock: socket.socket) -> str:
    return (await asyncio.wait_for(asyncio.get_running_loop().sock_recv(sock, 4096), timeout=10)).decode()


def test_from_environ_reads_what_systemd_sets():
    me = os.getpid()
    watched = Watchdog.from_environ({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000"}, pid=me)
    assert (watched.address, watched.interval) == ("/run/x", 10.0)  # a third of WatchdogSec=30
    assert (
        Watchdog.from_environ(
            {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(me)}, pid=me
        ).interval
        == 10.0
    )
    other = {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(me + 1)}
    assert Watchdog.from_environ(other, pid=me).interval is None  # the watchdog is another process's
    assert Watchdog.from_environ({"NOTIFY_SOCKET": "/run/x"}, pid=me).interval is None  # Type=notify, no watchdog
    assert Watchdog.from_environ({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "soon"}, pid=me).interval is None
    alone = Watchdog.from_environ({}, pid=me)
    assert alone.address is None and not alone.notify("READY=1")  # started by hand: nothing to tell


async def test_ready_after_recovery_then_pings_then_stopping(systemd):
    sock, path = systemd
    dog = Watchdog.from_environ({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "150000"}, pid=os.getpid())
    assert dog.interval == pytest.approx(0.05)
    recovery: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    dog.start(after=recovery)
    for _ in range(5):  # the task's first steps: had it not waited for recovery, READY=1 would be sent now
        await asyncio.sleep(0)
    dog.notify("MARK")  # the order the socket gets datagrams in tells whether READY=1 came first
    recovery.set_result(None)
    assert await _received(sock) == "MARK"
    assert await _received(sock) == "READY=1\nSTATUS=serving"
    assert await _received(sock) == "WATCHDOG=1"
    assert await _received(sock) == "WATCHDOG=1"  # again, from the loop's timer
    await dog.stop()
    messages = []
    while (message := await _received(sock)) != "STOPPING=1":
        messages.append(message)
    assert set(messages) <= {"WATCHDOG=1"}


async def test_without_a_watchdog_ready_is_sent_and_nothing_else(systemd):
    sock, path = systemd
    dog = Watchdog.from_environ({"NOTIFY_SOCKET": path}, pid=os.getpid())
    dog.start()
    assert await _received(sock) == "READY=1\nSTATUS=serving"
    await dog.stop()
    assert await _received(sock) == "STOPPING=1"  # the next datagram: no ping came between


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the abstract namespace is Linux's")
async def test_an_abstract_socket_address():
    name = f"tillqr-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.setblocking(False)
        assert Watchdog(f"@{name}", None).notify("READY=1")
        assert await _received(sock) == "READY=1"


def test_a_socket_that_is_gone_is_logged_not_raised(tmp_path, caplog):
    assert not Watchdog(str(tmp_path / "nobody"), None).notify("WATCHDOG=1")
    assert "could not tell systemd WATCHDOG=1" in caplog.text
