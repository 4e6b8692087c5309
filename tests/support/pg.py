"""A real PostgreSQL for the back office's tests: one throw-away cluster per test process (xdist worker), made by
scripts/pg-cluster.sh on a free port, and a fresh database per test cloned from a migrated template.

Fixtures (import them into a conftest): ``pg_cluster`` (session) and ``pg_dsn`` (a new database's DSN). The
cluster runs with fsync off: tests check behaviour, not durability (benchmarks/ingest_rate.py keeps fsync on).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from app.backoffice.migrate import migrate

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pg-cluster.sh"
TEMPLATE = "tillqr_template"
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PgMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class PgCluster:
    folder: Path
    port: int

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self, mode: str = "fast") -> None:
        subprocess.run([str(SCRIPT), "stop", str(self.folder), mode], check=True, capture_output=True, text=True)

    def start(self, options: str = FAST) -> None:
        """(Re)starts the cluster on its port; PgMissing when PostgreSQL's programs are not installed."""
        env = {**os.environ, "PG_OPTIONS": options}
        done = subprocess.run(
            [str(SCRIPT), str(self.folder), str(self.port)], env=env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            if "not installed" in done.stderr:
                raise PgMissing(done.stderr.strip())
            raise RuntimeError(f"pg-cluster.sh failed ({done.returncode}): {done.stderr.strip()}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_cluster(options: str = FAST) -> PgCluster:
    """A new cluster in a folder under the system's temporary one (reachable by the postgres user when root)."""
    folder = Path(tempfile.mkdtemp(prefix="tillqr-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    for attempt in range(3):  # a free port may be taken between asking and binding: try another
        cluster = PgCluster(folder, free_port())
        try:
            cluster.start(options)
            return cluster
        except RuntimeError:
            if attempt == 2:
                shutil.rmtree(folder, ignore_errors=True)
                raise
    raise AssertionError("unreachable")


def new_database(cluster: PgCluster, template: str = TEMPLATE) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'.encode())
    return name


def drop_database(cluster: PgCluster, name: str) -> None:
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = start_cluster()
    except PgMissing as exc:
        pytest.fail(
            f"the back office's tests need PostgreSQL: `make test` installs it (./scripts/ensure-sysdeps.sh "
            f"postgresql), or apt-get install postgresql ({exc})",
            pytrace=False,
        )
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{TEMPLATE}"'.encode())
        migrate(cluster.dsn(TEMPLATE))
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture
def pg_dsn(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh, migrated database of its own for the test."""
    name = new_database(pg_cluster)
    yield pg_cluster.dsn(name)
    drop_database(pg_cluster, name)
