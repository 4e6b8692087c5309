"""``tillqr backoffice serve|migrate|enrol|revoke`` on a real PostgreSQL; serve as its own process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from app.__main__ import main
from app.backoffice.migrate import migrations
from app.replication.wire import API, INGEST, Batch, BatchReply, Outcome, Record, RecordKind, Stream
from tests.support.pg import PgCluster, drop_database, free_port, new_database

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def fresh_dsn(pg_cluster: PgCluster) -> Iterator[str]:
    """An empty database: the commands migrate it themselves."""
    name = new_database(pg_cluster, template="template0")
    yield pg_cluster.dsn(name)
    drop_database(pg_cluster, name)


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    status = main(argv)
    out = capsys.readouterr().out
    return status, json.loads(out) if out.strip() else {}


def test_migrate_enrol_and_revoke_from_the_command_line(fresh_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, migrated = _json(capsys, ["backoffice", "migrate", "--dsn", fresh_dsn, "--json"])
    shipped = migrations()
    assert status == 0 and migrated["applied"][0] == "0001_initial" and migrated["version"] == len(shipped)
    assert migrated["applied"] == [f"{m.version:04d}_{m.name}" for m in shipped]
    assert _json(capsys, ["backoffice", "migrate", "--dsn", fresh_dsn, "--json"])[1]["applied"] == []
    status, enrolled = _json(capsys, ["backoffice", "enrol", "--dsn", fresh_dsn, "--name", "till 2", "--json"])
    assert status == 0 and len(enrolled["code"]) == 19
    assert main(["backoffice", "revoke", "nobody", "--dsn", fresh_dsn]) == 1
    assert "nobody" in capsys.readouterr().err


def test_the_dsn_from_the_environment_and_its_absence(
    fresh_dsn: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TILLQR_BACKOFFICE_DSN", raising=False)
    assert main(["backoffice", "migrate"]) == 1
    assert "TILLQR_BACKOFFICE_DSN" in capsys.readouterr().err
    monkeypatch.setenv("TILLQR_BACKOFFICE_DSN", fresh_dsn)
    assert main(["backoffice", "migrate"]) == 0
    assert f"version {len(migrations())}" in capsys.readouterr().out
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2"
    assert main(["backoffice", "migrate", "--dsn", unreachable]) == 1
    assert "cannot reach the back office's database" in capsys.readouterr().err


def test_serve_registers_a_device_ingests_and_refuses_it_once_revoked(
    fresh_dsn: str, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    env = {**os.environ, "TILLQR_BACKOFFICE_DSN": fresh_dsn, "PYTHONPATH": ROOT}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "backoffice", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        banner = proc.stdout.readline() if proc.stdout else ""  # printed once it listens (it migrated first)
        assert " on http://127.0.0.1:" in banner, (banner, proc.stderr.read() if proc.poll() is not None else "")
        url = banner.strip().rsplit(" on ", 1)[1]
        code = _json(capsys, ["backoffice", "enrol", "--dsn", fresh_dsn, "--json"])[1]["code"]
        with httpx.Client(base_url=url, timeout=10) as http:
            registered = http.post(f"{API}/devices", json={"enrolment_code": code, "name": "till 9"})
            assert registered.status_code == 201
            device_id, token = registered.json()["device_id"], registered.json()["token"]
            record = Record.make(device_id, Stream.JOURNAL, 1, RecordKind.SALE, {"sale_id": "s1", "amount": "1.00"})
            batch = Batch(device_id, [record], datetime.now(UTC).isoformat()).to_json()
            auth = {"Authorization": f"Bearer {token}"}
            reply = BatchReply.from_json(http.post(f"{API}{INGEST}", json=batch, headers=auth).json())
            assert reply.results[0].outcome is Outcome.ACCEPTED and reply.cursors == {Stream.JOURNAL: 1}
            assert main(["backoffice", "revoke", device_id, "--dsn", fresh_dsn]) == 0
            refused = http.post(f"{API}{INGEST}", json=batch, headers=auth)
            assert refused.status_code == 403 and refused.json()["revoked"] is True
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
