"""The back office's tests run against a real PostgreSQL (tests/support/pg.py) through the real Starlette app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.backoffice.ingest import create_app
from tests.support.pg import pg_cluster, pg_dsn  # noqa: F401 - fixtures used by this folder's tests
from tests.support.service import Service, serving


@pytest.fixture
async def service(pg_dsn: str) -> AsyncIterator[Service]:
    """One instance of the service on the test's database, with one enrolled device."""
    async with serving(pg_dsn, create_app) as svc:
        yield svc
