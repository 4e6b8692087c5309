"""The pages in a real headless Chromium (issue 15, "What it must show"): the service on 127.0.0.1, a manager logs
in, a sale made on a till (a real Journal in this test's TILLQR_HOME, registered, pushed by the real Sender)
appears on the open page without a reload, and the day's export downloads with it. The back office speaks
Brazilian Portuguese here: the pages' words and amounts follow its language, the CSV export stays neutral."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import psycopg
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from app import i18n
from app.backoffice import db, managers
from app.domain.money import Money
from app.domain.sale import Sale
from app.replication.identity import identity_file, register
from app.replication.outbox import Outbox
from app.replication.sender import Sender
from app.replication.wire import Stream
from app.storage.journal import Journal
from tests.support.browser import chromium, served, shots_dir

PASSWORD = "a long manager password"
WAIT_S = 20.0  # the longest any one step may take before the test fails


def shot(driver: WebDriver, name: str) -> None:
    where = shots_dir()
    if where is not None:
        where.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(where / f"{name}.png"))


async def _prepare(dsn: str) -> str:
    """A manager "ana", and an enrolment code for a till of "Rua Augusta"."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await managers.add_manager(conn, "ana", PASSWORD)
        return (await db.enrol(conn, name="Till 1", store="Rua Augusta")).code


async def test_a_sale_made_on_a_till_appears_live_and_is_exported(
    pg_dsn: str, tmp_path: Path, _tillqr_home: Path, ring: object
) -> None:
    i18n.set_language("pt_BR")  # the back office's language: the pages speak it, the export stays neutral
    code = await _prepare(pg_dsn)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    data = _tillqr_home / "data"
    data.mkdir(parents=True)
    journal = Journal(data / "journal.sqlite3")
    with served(pg_dsn) as service, chromium(tmp_path / "profile", downloads) as driver:
        identity = await register(service.url, code, data_dir=data, name="Till 1")
        token = identity.token()
        assert token
        sender = Sender(identity, identity_file(data, False), [Outbox(journal, Stream.JOURNAL)], token=token)
        wait = WebDriverWait(driver, WAIT_S)
        try:
            driver.get(f"{service.url}/")
            wait.until(ec.presence_of_element_located((By.ID, "login")))
            shot(driver, "login")
            driver.find_element(By.ID, "name").send_keys("ana")
            driver.find_element(By.ID, "password").send_keys("not the password")
            driver.find_element(By.ID, "login").click()
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "p.error")))
            assert "Nome ou senha errados." in driver.find_element(By.CSS_SELECTOR, "p.error").text
            driver.find_element(By.ID, "name").send_keys("ana")
            driver.find_element(By.ID, "password").send_keys(PASSWORD)
            driver.find_element(By.ID, "login").click()
            wait.until(ec.presence_of_element_located((By.ID, "live")))
            driver.execute_script("window.tillqrNotReloaded = true;")

            sale = Sale.new(Money(1250, "BRL"), "depay", "table 4")
            await journal.record(sale, "created")
            report = await sender.push()
            assert (report.error, report.waiting) == ("", 0) and report.accepted >= 1

            row = (By.CSS_SELECTOR, f'#day-sales tr[data-sale-id="{sale.sale_id}"]')
            wait.until(ec.presence_of_element_located(row))
            assert driver.execute_script("return window.tillqrNotReloaded === true;")
            assert "Rua Augusta" in driver.find_element(*row).text and "R$ 12,50" in driver.find_element(*row).text
            shot(driver, "day")

            driver.find_element(By.ID, "export").click()
            exported = downloads / f"tillqr-sales-{date.today().isoformat()}.csv"
            wait.until(lambda _driver: exported.exists() and exported.stat().st_size > 0)
            rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8"))))
            assert [(r["sale_id"], r["amount"], r["currency"], r["device"]) for r in rows] == [
                (sale.sale_id, "12.50", "BRL", "Till 1")
            ]

            closing = (By.CSS_SELECTOR, '#closing tr[data-store="Rua Augusta"] button')  # came live with the sale
            assert driver.execute_script("return window.tillqrNotReloaded === true;")
            driver.find_element(*closing).click()  # the manager closes the store's day
            closed = (By.CSS_SELECTOR, '#closing tr[data-store="Rua Augusta"]')
            wait.until(lambda d: "fechado por ana" in d.find_element(*closed).text)
            assert not driver.find_elements(*closing)
            shot(driver, "day-closed")

            driver.find_element(By.CSS_SELECTOR, f'#day-sales tr[data-sale-id="{sale.sale_id}"] a').click()
            wait.until(ec.presence_of_element_located((By.ID, "history")))
            assert driver.find_elements(By.CSS_SELECTOR, "#history tr[data-seq]")
            shot(driver, "sale")
            for page in ("devices", "readings", "conflicts", "reconcile"):
                driver.get(f"{service.url}/{page}")
                wait.until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
                shot(driver, page)
        finally:
            await sender.aclose()
            await journal.aclose()
