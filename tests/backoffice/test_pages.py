"""The back office's pages over httpx's ASGI transport, on a real PostgreSQL: the login (argon2, wrong passwords
refused, CSRF), each page showing what the devices sent, the conflict resolved, and the day's CSV."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from app.__main__ import main
from app.backoffice import managers
from app.backoffice.service import create_service
from app.replication.wire import Record, RecordKind, Stream
from tests.support.service import Service, sale_payload, serving

PASSWORD = "correct horse battery"


@pytest.fixture
async def site(pg_dsn: str) -> AsyncIterator[Service]:
    """The whole service (API and pages) on the test's database, one device enrolled, one manager "ana"."""

    async def ana(pool: AsyncConnectionPool) -> None:
        async with pool.connection() as conn:
            await managers.add_manager(conn, "ana", PASSWORD)

    async with serving(pg_dsn, create_service, before=ana) as svc:
        yield svc


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def login(site: Service, name: str = "ana", password: str = PASSWORD) -> httpx.Response:
    form = await site.client.get("/login")
    assert form.status_code == 200
    return await site.client.post(
        "/login", data={"name": name, "password": password, "csrf": _csrf(form.text), "next": "/"}
    )


async def logged_in(site: Service) -> str:
    """Logs "ana" in; the CSRF token of her session."""
    answer = await login(site)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    return _csrf((await site.client.get("/")).text)


async def test_a_page_without_a_session_sends_to_the_login(site: Service) -> None:
    answer = await site.client.get("/devices")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/devices"
    assert (await site.client.get("/day")).status_code == 401
    assert (await site.client.get("/export.csv")).status_code == 303


async def test_a_wrong_password_or_an_unknown_name_is_refused(site: Service) -> None:
    for name, password in (("ana", "wrong password!"), ("bruno", PASSWORD), ("ana", "")):
        answer = await login(site, name, password)
        assert answer.status_code == 401 and "Wrong name or password." in answer.text
        assert "tillqr_session" not in answer.cookies
    assert (await site.client.get("/")).status_code == 303
    stored = await site.rows("SELECT password_hash FROM managers")
    assert str(stored[0][0]).startswith("$argon2id$") and PASSWORD not in str(stored)


async def test_wrong_passwords_past_the_limit_make_the_name_wait(site: Service) -> None:
    from app.backoffice.managers import MAX_FAILURES

    for _try in range(MAX_FAILURES):
        assert (await login(site, "ana", "wrong password!")).status_code == 401
    answer = await login(site)  # the right password, too late: the name waits
    assert answer.status_code == 429 and "try again in 15 minutes" in answer.text
    assert "tillqr_session" not in answer.cookies
    await site.rows("UPDATE login_failures SET at = at - interval '16 minutes' RETURNING 1")  # a quarter hour on
    assert (await login(site)).status_code == 303
    assert await site.rows("SELECT count(*) FROM login_failures") == [(0,)]  # a login forgets the failures


async def test_the_session_cookie_is_signed_http_only_and_same_site(site: Service) -> None:
    answer = await login(site)
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("tillqr_session"))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    value = site.client.cookies["tillqr_session"]
    site.client.cookies.set("tillqr_session", value[:-1] + ("0" if value[-1] != "0" else "1"))
    assert (await site.client.get("/")).status_code == 303  # a signature that does not match: no session
    site.client.cookies.set("tillqr_session", value)
    assert (await site.client.get("/")).status_code == 200


async def test_a_login_without_its_form_token_is_refused(site: Service) -> None:
    answer = await site.client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf": "made-up"})
    assert answer.status_code == 403 and "tillqr_session" not in answer.cookies


async def test_the_day_shows_sales_by_store_till_provider_and_status_and_the_open_ones(site: Service) -> None:
    await site.push(
        [
            site.record(payload=sale_payload("s-paid", amount="12.50")),
            site.record(payload=sale_payload("s-open", status="linked", amount="7.25", provider="jpmorgan")),
        ]
    )
    await logged_in(site)
    page = (await site.client.get("/")).text
    assert 'data-sale-id="s-paid"' in page and 'data-sale-id="s-open"' in page
    open_part = page[page.index('id="open-sales"') :]
    open_part = open_part[: open_part.index("</table>")]
    assert "s-open" in open_part and "s-paid" not in open_part
    assert "BRL 19.75" in page  # the total asked, exact
    for part in ("by-store", "by-device", "by-provider", "by-status"):
        assert f'id="{part}"' in page
    assert "Rua Augusta" in page and "till 1" in page and "jpmorgan" in page and "linked" in page
    fragment = await site.client.get("/day")
    assert fragment.status_code == 200 and 'data-sale-id="s-paid"' in fragment.text and "<html" not in fragment.text
    assert "default-src 'self'" in fragment.headers["content-security-policy"]


async def test_a_sale_s_history_lists_its_records_in_seq_order(site: Service) -> None:
    created = datetime.now(UTC).isoformat()
    first = site.record(payload=sale_payload("s1", status="linked", created_at=created))
    event = site.record(RecordKind.SALE_EVENT, {"sale_id": "s1", "event_id": 1, "kind": "paid", "status": "settled"})
    last = site.record(payload=sale_payload("s1", status="settled", created_at=created))
    await site.push([first, event, last])
    await logged_in(site)
    page = (await site.client.get("/sales/s1")).text
    assert re.findall(r'data-seq="(\d+)"', page) == ["1", "2", "3"]
    assert re.search(r'id="sale-status">\s*settled', page)
    assert (await site.client.get("/sales/nobody")).status_code == 404


async def test_readings_show_the_reading_and_the_bill_s_sync_state(site: Service) -> None:
    reading = {"bill_id": "B-17", "route_id": "R-3", "meter_id": "M-9", "value": "1234.5", "consumption": 42,
               "charge": "88.10", "currency": "BRL"}  # fmt: skip
    state = {"bill_id": "B-17", "route_id": "R-3", "sync_state": "charged", "reason": ""}
    await site.push(
        [
            site.record(RecordKind.READING, reading, stream=Stream.FIELDBOOK),
            site.record(RecordKind.BILL_STATE, state, stream=Stream.FIELDBOOK),
        ]
    )
    await logged_in(site)
    page = (await site.client.get("/readings")).text
    row = page[page.index('data-bill-id="B-17"') :]
    row = row[: row.index("</tr>")]
    for shown in ("R-3", "M-9", "1234.5", "42", "BRL 88.10", "charged"):
        assert shown in row


async def test_devices_show_what_is_missing_and_a_flagged_clock(site: Service) -> None:
    await site.push([site.record(seq=1), site.record(seq=4)], sent_at=datetime.now(UTC) - timedelta(minutes=5))
    await logged_in(site)
    page = (await site.client.get("/devices")).text
    row = page[page.index(f'data-device-id="{site.device_id}"') :]
    row = row[: row.index("</tr>")]
    assert "journal 1" in row and "3 records missing" in row and "off by more than 2 minutes" in row


async def test_revoking_needs_the_session_s_form_token(site: Service) -> None:
    csrf = await logged_in(site)
    path = f"/devices/{site.device_id}/revoke"
    for token in ("", "forged"):
        refused = await site.client.post(path, data={"csrf": token})
        assert refused.status_code == 403
    assert await site.rows("SELECT revoked_at IS NULL FROM devices") == [(True,)]
    done = await site.client.post(path, data={"csrf": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/devices"
    assert await site.rows("SELECT revoked_at IS NOT NULL FROM devices") == [(True,)]
    assert (await site.send([site.record()])).status_code == 403
    assert "revoked" in (await site.client.get("/devices")).text


async def test_the_manager_closes_a_store_s_day_and_a_record_arriving_later_is_late(site: Service) -> None:
    csrf = await logged_in(site)
    day = date.today().isoformat()
    await site.push([site.record(payload=sale_payload("early"))])
    page = (await site.client.get(f"/?day={day}")).text
    assert 'data-store="Rua Augusta"' in page and "Close the day" in page
    form = {"csrf": csrf, "day": day, "store": "Rua Augusta"}
    assert (await site.client.post("/days/close", data={**form, "csrf": "forged"})).status_code == 403
    closed = await site.client.post("/days/close", data=form)
    assert closed.status_code == 303 and closed.headers["location"] == f"/?day={day}"
    assert await site.rows("SELECT store, day::text, closed_by FROM closed_days") == [("Rua Augusta", day, "ana")]
    await site.push([site.record(payload=sale_payload("after"))])  # reaches the back office after the close
    assert await site.rows("SELECT payload->>'sale_id', late FROM records ORDER BY seq") == [
        ("early", False),
        ("after", True),
    ]
    row = re.search(r'<tr data-store="Rua Augusta">(.*?)</tr>', (await site.client.get(f"/?day={day}")).text, re.S)
    assert row is not None and "closed by ana" in row.group(1) and "Close the day" not in row.group(1)
    assert re.findall(r'<td class="n">(\d+)</td>', row.group(1)) == ["1"]  # one late record
    bad = await site.client.post("/days/close", data={**form, "day": "someday"})
    assert bad.status_code == 400


def test_a_day_is_closed_from_the_command_line(pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backoffice", "close-day", "Rua Augusta", "--day", "2026-12-01", "--dsn", pg_dsn, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"store": "Rua Augusta", "day": "2026-12-01", "closed": True}
    assert main(["backoffice", "close-day", "Rua Augusta", "--day", "yesterday", "--dsn", pg_dsn]) == 1
    assert "yesterday is not a day" in capsys.readouterr().err
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT store, day::text FROM closed_days").fetchall() == [("Rua Augusta", "2026-12-01")]


async def test_a_conflict_shows_both_versions_and_is_resolved_by_a_person(site: Service) -> None:
    first = site.record(payload=sale_payload("s1", amount="12.50"), seq=1)
    await site.push([first])
    second = Record.make(site.device_id, Stream.JOURNAL, 1, RecordKind.SALE, sale_payload("s1", amount="99.00"))
    await site.push([second])
    csrf = await logged_in(site)
    page = html.unescape((await site.client.get("/conflicts")).text)
    assert '"amount": "12.50"' in page and '"amount": "99.00"' in page
    [(conflict_id,)] = await site.rows("SELECT id FROM conflicts")
    refused = await site.client.post(f"/conflicts/{conflict_id}/resolve", data={"resolution": "take_second"})
    assert refused.status_code == 403
    done = await site.client.post(f"/conflicts/{conflict_id}/resolve", data={"resolution": "take_second", "csrf": csrf})
    assert done.status_code == 303
    assert await site.rows("SELECT resolved_by, resolution FROM conflicts") == [("ana", "take_second")]
    assert await site.rows("SELECT sha256 FROM records") == [(second.sha256,)]
    assert await site.rows("SELECT amount::text FROM sales") == [("99.00",)]
    assert "Took the second: ana" in (await site.client.get("/conflicts")).text
    again = await site.client.post(f"/conflicts/{conflict_id}/resolve", data={"resolution": "keep_first", "csrf": csrf})
    assert again.status_code == 409


async def test_the_day_exports_as_csv_with_exact_amounts(site: Service) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    await site.push(
        [
            site.record(payload=sale_payload("s-a", amount="0.10")),
            site.record(payload=sale_payload("s-b", amount="1234567.89")),
            site.record(payload=sale_payload("s-old", created_at=yesterday)),
        ]
    )
    await logged_in(site)
    answer = await site.client.get(f"/export.csv?day={date.today().isoformat()}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert f"tillqr-sales-{date.today().isoformat()}.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert sorted((r["sale_id"], r["amount"], r["currency"], r["store"]) for r in rows) == [
        ("s-a", "0.10", "BRL", "Rua Augusta"),
        ("s-b", "1234567.89", "BRL", "Rua Augusta"),
    ]
    assert (await site.client.get("/export.csv?day=yesterday")).status_code == 400


async def test_the_pages_bring_their_own_fonts_for_hindi(site: Service) -> None:
    css = (await site.client.get("/static/pages.css")).text
    assert '"Noto Sans Devanagari"' in css and "/fonts/NotoSansDevanagari-Regular.ttf" in css
    for name in (
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansDevanagari-Bold.ttf",
    ):
        font = await site.client.get(f"/fonts/{name}")  # before any login: the login page reads in Hindi too
        assert font.status_code == 200 and font.content[:4] == b"\x00\x01\x00\x00", name  # a TrueType font


async def test_logging_out_ends_the_session(site: Service) -> None:
    csrf = await logged_in(site)
    assert (await site.client.post("/logout", data={"csrf": "forged"})).status_code == 403
    assert (await site.client.get("/")).status_code == 200
    out = await site.client.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303
    assert await site.rows("SELECT count(*) FROM manager_sessions") == [(0,)]
    assert (await site.client.get("/")).status_code == 303


def test_a_manager_is_added_from_the_command_line(
    pg_dsn: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLQR_BACKOFFICE_PASSWORD", PASSWORD)
    assert main(["backoffice", "manager", "add", "carla", "--dsn", pg_dsn, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"manager": "carla", "added": True}
    assert main(["backoffice", "manager", "add", "carla", "--dsn", pg_dsn]) == 1
    assert "already a manager carla" in capsys.readouterr().err
    monkeypatch.setenv("TILLQR_BACKOFFICE_PASSWORD", "short")
    assert main(["backoffice", "manager", "add", "dora", "--dsn", pg_dsn]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute("SELECT name, password_hash FROM managers").fetchall()
    assert [name for name, _hash in rows] == ["carla"] and rows[0][1].startswith("$argon2id$")
