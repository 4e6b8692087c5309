"""``tillqr backoffice register|status|push`` against the back office's contract double on a real server
(uvicorn on 127.0.0.1): a demo till registers without a PIN, its sales are pushed once, the status says so; a
token the back office no longer knows exits 1 with everything still waiting (exit 3, an unreachable back office,
is the sender's unit tests' part: its retries wait on a FakeTimer there)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from app.__main__ import main
from app.domain.money import Money
from app.domain.sale import Sale
from app.replication.wire import Stream
from app.storage.journal import Journal
from tests.support.backoffice_double import BackofficeDouble


@pytest.fixture
def served() -> Iterator[tuple[BackofficeDouble, str]]:
    double = BackofficeDouble()
    server = uvicorn.Server(uvicorn.Config(double.app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(500):
        if server.started:
            started.set()
            break
        started.wait(0.01)
    assert started.is_set(), "the double did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield double, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def record_sales(home: Path, n: int) -> None:
    async def go() -> None:
        journal = Journal(home / "data" / "journal-demo.sqlite3")
        for i in range(n):
            await journal.record(Sale.new(Money(100 + i, "BRL"), "jpmorgan", f"ref {i}"), "created")
        await journal.aclose()

    asyncio.run(go())


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    status = main(list(argv))
    out = capsys.readouterr().out.strip().splitlines()
    return status, json.loads(out[-1]) if out else {}


def test_register_push_and_status(served, ring, _tillqr_home, capsys) -> None:
    double, url = served
    status, registered = run_json(capsys, "backoffice", "register", url, "--code", double.enrol(), "--demo", "--json")
    assert status == 0 and registered["demo"] is True
    record_sales(_tillqr_home, 3)
    status, report = run_json(capsys, "backoffice", "push", "--demo", "--json")
    assert status == 0 and report["accepted"] == 6 and report["waiting"] == 0
    assert len(double.kept(str(registered["device_id"]), Stream.JOURNAL)) == 6
    status, shown = run_json(capsys, "backoffice", "status", "--demo", "--json")
    assert status == 0 and shown["state"] == "connected" and shown["waiting"] == 0 and shown["last_push"]
    assert main(["backoffice", "status", "--demo"]) == 0
    assert "connected" in capsys.readouterr().out


def test_a_token_the_back_office_forgot_exits_1_and_loses_nothing(served, ring, _tillqr_home, capsys) -> None:
    double, url = served
    assert main(["backoffice", "register", url, "--code", double.enrol(), "--demo"]) == 0
    record_sales(_tillqr_home, 1)
    double.devices.clear()
    capsys.readouterr()
    assert main(["backoffice", "push", "--demo"]) == 1
    assert "register it again" in capsys.readouterr().err
    status, shown = run_json(capsys, "backoffice", "status", "--demo", "--json")
    assert shown["state"] == "refused" and shown["waiting"] == 2


def test_push_before_registering_says_so(ring, capsys) -> None:
    assert main(["backoffice", "push", "--demo"]) == 1
    assert "not registered" in capsys.readouterr().err
