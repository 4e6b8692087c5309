"""``tillqr backoffice register|status|push`` against the real back office (``app.backoffice.serve`` on a real
PostgreSQL, on 127.0.0.1): a demo till registers without a PIN, its sales are pushed once and held in PostgreSQL,
the status says so; a token the back office no longer knows exits 1 with everything still waiting; a back office
that is down exits 3 with nothing lost, and the next push once it is back sends it all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.__main__ import main
from app.domain.money import Money
from app.domain.sale import Sale
from app.replication.wire import Stream
from app.storage.journal import Journal
from tests.support.live_backoffice import ServedBackoffice
from tests.support.pg import pg_cluster, pg_dsn  # noqa: F401 - fixtures: a real PostgreSQL


@pytest.fixture
def served(pg_dsn: str) -> Iterator[ServedBackoffice]:
    backoffice = ServedBackoffice(pg_dsn)
    backoffice.start()
    yield backoffice
    backoffice.stop()


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
    status, registered = run_json(
        capsys, "backoffice", "register", served.url, "--code", served.held.enrol(), "--demo", "--json"
    )
    assert status == 0 and registered["demo"] is True
    record_sales(_tillqr_home, 3)
    status, report = run_json(capsys, "backoffice", "push", "--demo", "--json")
    assert status == 0 and report["accepted"] == 6 and report["waiting"] == 0
    device_id = str(registered["device_id"])
    assert [r.seq for r in served.held.records(device_id, Stream.JOURNAL)] == [1, 2, 3, 4, 5, 6]
    assert served.held.cursor(device_id) == 6 and len(served.held.sale_ids()) == 3
    status, shown = run_json(capsys, "backoffice", "status", "--demo", "--json")
    assert status == 0 and shown["state"] == "connected" and shown["waiting"] == 0 and shown["last_push"]
    assert main(["backoffice", "status", "--demo"]) == 0
    assert "connected" in capsys.readouterr().out


def test_a_token_the_back_office_forgot_exits_1_and_loses_nothing(served, ring, _tillqr_home, capsys) -> None:
    status, registered = run_json(
        capsys, "backoffice", "register", served.url, "--code", served.held.enrol(), "--demo", "--json"
    )
    record_sales(_tillqr_home, 1)
    served.held.forget_token(str(registered["device_id"]))
    capsys.readouterr()
    assert main(["backoffice", "push", "--demo"]) == 1
    assert "register it again" in capsys.readouterr().err
    status, shown = run_json(capsys, "backoffice", "status", "--demo", "--json")
    assert shown["state"] == "refused" and shown["waiting"] == 2


def test_push_before_registering_says_so(ring, capsys) -> None:
    assert main(["backoffice", "push", "--demo"]) == 1
    assert "not registered" in capsys.readouterr().err
