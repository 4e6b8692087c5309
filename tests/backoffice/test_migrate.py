"""The back office's schema: numbered SQL applied once, under an advisory lock, even by instances starting at once."""

from __future__ import annotations

import threading
from dataclasses import replace

import psycopg
import pytest

from app.backoffice.migrate import Migration, MigrationError, current_version, migrate, migrations
from tests.support.pg import PgCluster, drop_database, new_database


@pytest.fixture
def empty_dsn(pg_cluster: PgCluster):
    name = new_database(pg_cluster, template="template0")
    yield pg_cluster.dsn(name)
    drop_database(pg_cluster, name)


def test_the_shipped_migrations_are_numbered_from_one() -> None:
    shipped = migrations()
    assert [m.version for m in shipped] == list(range(1, len(shipped) + 1))
    assert shipped[0].name == "initial"


def test_instances_starting_at_once_migrate_once(empty_dsn: str) -> None:
    applied: list[list[Migration]] = []
    failures: list[BaseException] = []
    gate = threading.Barrier(4)

    def start() -> None:
        try:
            gate.wait()
            applied.append(migrate(empty_dsn))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(len(a) for a in applied) == [0, 0, 0, len(migrations())]
    assert current_version(empty_dsn) == len(migrations())
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (len(migrations()),)
    assert migrate(empty_dsn) == []


def test_a_migration_changed_after_it_was_applied_is_refused(empty_dsn: str) -> None:
    assert current_version(empty_dsn) == 0
    migrate(empty_dsn)
    edited = [replace(migrations()[0], sql=migrations()[0].sql + "\n-- edited\n"), *migrations()[1:]]
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(empty_dsn, edited)


def test_a_database_newer_than_the_code_is_refused(empty_dsn: str) -> None:
    extra = Migration(len(migrations()) + 1, "from_the_future", "CREATE TABLE future (id int);")
    migrate(empty_dsn, [*migrations(), extra])
    with pytest.raises(MigrationError, match="newer than this code"):
        migrate(empty_dsn)


def test_a_failing_migration_leaves_nothing_half_done(empty_dsn: str) -> None:
    broken = Migration(len(migrations()) + 1, "broken", "CREATE TABLE half (id int); SELECT no_such_function();")
    with pytest.raises(psycopg.errors.UndefinedFunction):
        migrate(empty_dsn, [*migrations(), broken])
    assert current_version(empty_dsn) == len(migrations())
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute("SELECT to_regclass('half')").fetchone() == (None,)
