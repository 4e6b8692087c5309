"""A real headless browser for the back office's pages: Debian's Chromium driven by Selenium 4 through its own
chromedriver (``make test`` installs both: ./scripts/ensure-sysdeps.sh chromium chromium-driver), and the back
office service served on 127.0.0.1 from a thread of the test process.

Chromium runs as root in CI, hence ``--no-sandbox``; a fresh profile per browser; downloads go to a folder the
test names (``Page.setDownloadBehavior``), so the day's export can be read back.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService

from app.backoffice.serve import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
)
STARTED_S = 30.0  # the service's start, at most


@contextmanager
def chromium(profile: Path, downloads: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a fresh profile in ``profile``, saving downloads into ``downloads``."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(
            "the pages' browser test needs Debian's chromium and chromium-driver: `make test` installs them "
            "(./scripts/ensure-sysdeps.sh chromium chromium-driver)",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (*ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=ChromeService(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        yield driver
    finally:
        driver.quit()


class ServedBackoffice:
    """``app.backoffice.serve.serve`` (the API and the pages) on 127.0.0.1 in a thread with its own event loop."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="backoffice", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()  # type: ignore[assignment]
            await serve(self.dsn, "127.0.0.1", 0, ready=self._started)

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # reported by start()
            self._failure = exc
        finally:
            self._ready.set()

    def _started(self, port: int) -> None:
        self.port = port
        self._ready.set()

    def start(self) -> ServedBackoffice:
        self._thread.start()
        if not self._ready.wait(STARTED_S) or not self.port:
            raise RuntimeError(f"the back office did not start: {self._failure!r}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=15)


@contextmanager
def served(dsn: str) -> Iterator[ServedBackoffice]:
    service = ServedBackoffice(dsn).start()
    try:
        yield service
    finally:
        service.stop()


def shots_dir() -> Path | None:
    """Where to keep the pages' screenshots ($TILLQR_SHOTS_DIR), or None (the default: none kept)."""
    where = os.environ.get("TILLQR_SHOTS_DIR", "")
    return Path(where) if where else None
