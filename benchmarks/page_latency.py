"""From a sale's commit on a till to its row on the back office's open page in a real browser, timed, printed as
JSON (fsync on; measured, never asserted). Goal (issue 15): p99 under 2 s.

    .venv/bin/python benchmarks/page_latency.py [--sales 100] [--rate 5]

A throw-away cluster (scripts/pg-cluster.sh) and ``tillqr backoffice serve`` in its own process; a till's home
registered by the commands themselves; the till's sender running beside its journal as the GUI runs it
(``Sender.run``, woken after each write); a manager logged in to ``/`` in headless Chromium (Debian's chromium and
chromium-driver, as the browser test). A MutationObserver on the page notes when each sale's row first appears
(``Date.now()``), the till notes each sale's commit (``time.time()``): one machine, one clock. The page asks for
the day every second, so about half a second of the lag is the page's own wait.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402 - after the path is set
from catch_up import counter_till, fleet_alone  # noqa: E402 - this folder's
from selenium.webdriver.common.by import By  # noqa: E402 - as above
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402 - as above
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402 - as above
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402 - as above

from app.backoffice import managers  # noqa: E402 - as above
from app.domain.money import Money  # noqa: E402 - as above
from app.domain.sale import Sale  # noqa: E402 - as above
from tests.support.browser import chromium  # noqa: E402 - as above
from tests.support.fleet import Fleet  # noqa: E402 - as above

GOAL = "p99 < 2 s from a sale's commit on a till to its row on the open page"
PASSWORD = "a long manager password"
OBSERVE = """
window.tillqrSeen = {};
const note = () => document.querySelectorAll('#day-sales tr[data-sale-id]').forEach((tr) => {
  if (!(tr.dataset.saleId in window.tillqrSeen)) window.tillqrSeen[tr.dataset.saleId] = Date.now();
});
new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
note();
"""


def step(what: str) -> None:
    print(f"bench: {what}", file=sys.stderr, flush=True)


def log_in(driver: WebDriver, url: str) -> None:
    wait = WebDriverWait(driver, 30)
    driver.get(f"{url}/")
    wait.until(ec.presence_of_element_located((By.ID, "login")))
    driver.find_element(By.ID, "name").send_keys("ana")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login").click()
    wait.until(ec.presence_of_element_located((By.ID, "live")))
    driver.execute_script(OBSERVE)


async def sell(fleet: Fleet, driver: WebDriver, count: int, rate: float) -> dict[str, object]:
    committed: dict[str, float] = {}
    seen: dict[str, float] = {}
    async with counter_till(fleet) as (journal, sender):
        for i in range(count):
            t_next = time.perf_counter() + 1 / rate
            sale = Sale.new(Money(500 + i, "BRL"), "depay", f"counter {i}")
            await journal.record(sale, "created")
            committed[sale.sale_id] = time.time() * 1000
            sender.wake.set()
            await asyncio.sleep(max(0.0, t_next - time.perf_counter()))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen = driver.execute_script("return window.tillqrSeen;")
            if all(sale_id in seen for sale_id in committed):
                break
            await asyncio.sleep(0.2)
    lags = sorted((seen[s] - at) / 1000 for s, at in committed.items() if s in seen)
    return {
        "goal": GOAL,
        "sales": count,
        "rate_per_s": rate,
        "seen": len(lags),
        "p50_ms": round(statistics.median(lags) * 1000),
        "p99_ms": round(lags[max(0, int(len(lags) * 0.99) - 1)] * 1000),
        "max_ms": round(lags[-1] * 1000),
    }


async def add_manager(dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await managers.add_manager(conn, "ana", PASSWORD)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=100, help="sales timed from commit to the page")
    ap.add_argument("--rate", type=float, default=5.0, help="sales a second at the counter")
    args = ap.parse_args()
    step("starting PostgreSQL (fsync on), tillqr backoffice serve and Chromium")
    with fleet_alone("tillqr-page-") as fleet, tempfile.TemporaryDirectory(prefix="tillqr-chromium-") as folder:
        asyncio.run(add_manager(fleet.dsn))
        with chromium(Path(folder) / "profile", Path(folder) / "downloads") as driver:
            log_in(driver, fleet.service.url)
            step(f"{args.sales} sales at {args.rate}/s, each timed to its row on the open page")
            out = {"cpus": os.cpu_count(), "page": asyncio.run(sell(fleet, driver, args.sales, args.rate))}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
