"""The back office's tests run against a real PostgreSQL (tests/support/pg.py) through the real Starlette app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.backoffice import db
from app.backoffice.ingest import create_app
from tests.support.pg import pg_cluster, pg_dsn  # noqa: F401 - fixtures used by this folder's tests
from tests.support.service import Service


@pytest.fixture
async def service(pg_dsn: str) -> AsyncIterator[Service]:
    """One instance of the service on the test's database, with one enrolled device."""
    pool = db.make_pool(pg_dsn, max_size=4)
    await pool.open(wait=True)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(pool)), base_url="http://backoffice.test"
        ) as client:
            yield await Service.start(client, pool, store="Rua Augusta")
    finally:
        await pool.close()
