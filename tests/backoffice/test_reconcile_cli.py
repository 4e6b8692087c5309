"""``tillqr backoffice reconcile`` on a real PostgreSQL and the embedded demo sandbox (kept under TILLQR_HOME):
its JSON and exit codes, its words, and a provider that cannot search."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime

import psycopg
import pytest

from app.__main__ import main
from app.config import settings as settings_mod
from app.config.paths import paths
from app.config.secrets import set_secret
from app.runtime import open_provider
from tests.support.pg import free_port
from tests.support.reconcile import Chain, ingest


async def _a_day(dsn: str, *, disagree: bool) -> tuple[str, str]:
    """Two requests at the demo sandbox, both paid; a device reports one (and, with ``disagree``, not the other).
    Returns (the reported one, the other)."""
    handle = await open_provider(demo=True, provider="jpmorgan")
    try:
        async with ingest(dsn) as service:
            assert handle.sandbox is not None
            c = Chain(handle.provider, handle.sandbox.client, service)
            reported, other = await c.request("12.50"), await c.request("8.00")
            await c.pay(reported)
            await c.pay(other)
            now = datetime.now().astimezone()
            records = [c.sale(reported.request_id, "settled", "12.50", created_at=now)]
            if not disagree:
                records.append(c.sale(other.request_id, "settled", "8.00", created_at=now))
            await service.push(records)
    finally:
        await handle.aclose()  # the demo sandbox's state saved for the command
    return reported.request_id, other.request_id


def test_findings_exit_4_with_their_json(pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    reported, other = asyncio.run(_a_day(pg_dsn, disagree=True))
    status = main(["backoffice", "reconcile", "--demo", "--json", "--dsn", pg_dsn])
    out = json.loads(capsys.readouterr().out)
    assert status == 4
    assert (out["provider"], out["day"], out["requests"], out["sales"]) == ("jpmorgan", date.today().isoformat(), 2, 1)
    assert out["findings"] == [
        {
            "kind": "paid_not_reported",
            "request_id": other,
            "sale_id": None,
            "held_status": None,
            "provider_status": "settled",
            "provider_amount": "8.00",
            "held_amount": None,
            "currency": "BRL",
        }
    ]
    assert reported not in capsys.readouterr().out
    assert main(["backoffice", "reconcile", "--demo", "--dsn", pg_dsn]) == 4
    words = capsys.readouterr().out
    assert "Paid at the provider, not reported paid by any device:" in words and other in words
    assert "no device reported this request" in words


def test_a_clean_day_exits_0_and_another_day_has_nothing(pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_a_day(pg_dsn, disagree=False))
    assert main(["backoffice", "reconcile", "--demo", "--dsn", pg_dsn]) == 0
    assert "The provider and the devices agree." in capsys.readouterr().out
    status = main(["backoffice", "reconcile", "--demo", "--json", "--day", "2001-02-03", "--dsn", pg_dsn])
    out = json.loads(capsys.readouterr().out)
    assert status == 0 and (out["day"], out["requests"], out["sales"], out["findings"]) == ("2001-02-03", 0, 0, [])
    assert main(["backoffice", "reconcile", "--demo", "--day", "3 Feb", "--dsn", pg_dsn]) == 1
    assert "3 Feb is not a day (YYYY-MM-DD)." in capsys.readouterr().err


def test_a_store_whose_provider_cannot_search_is_told_so_and_nothing_is_stored(
    pg_dsn: str, capsys: pytest.CaptureFixture[str], ring: object
) -> None:
    razorpay = settings_mod.Settings(provider="razorpay", currency="INR", base_url="https://api.razorpay.example")
    settings_mod.save(razorpay, paths().ensure().config_file)
    set_secret("razorpay", "key_id", "rzp_test_1")
    set_secret("razorpay", "key_secret", "s")
    assert main(["backoffice", "reconcile", "--json", "--dsn", pg_dsn]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "razorpay cannot list its payment requests, so there is nothing to reconcile against" in captured.err
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM reconciliation_runs").fetchone() == (0,)


def test_a_provider_that_does_not_answer_exits_3_and_nothing_is_stored(
    pg_dsn: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLQR_SANDBOX_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    assert main(["backoffice", "reconcile", "--demo", "--dsn", pg_dsn]) == 3
    assert "the provider cannot be reached, nothing was compared" in capsys.readouterr().err
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM reconciliation_runs").fetchone() == (0,)
