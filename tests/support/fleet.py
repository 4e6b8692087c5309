"""The replication harness's moving parts: a fleet of machines (tills and field laptops, each its own
``TILLQR_HOME`` and keyring) pushing to ``tillqr backoffice serve`` on a PostgreSQL made by scripts/pg-cluster.sh —
every one of them a process the harness can SIGKILL (the database: ``pg_ctl stop -m immediate``) and start again.

What the machines write goes through the real storage API (``Journal.record``, ``record_refund``, ``close_refund``;
the field book's ``FieldService.record``): the outbox records are the ones a shop's till or laptop makes.
``tests/support/exactly_once.py`` runs the campaign and checks the result.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg

from app.backoffice import db
from app.backoffice.db import DeviceKind
from app.backoffice.migrate import migrate
from app.config.paths import paths
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.fieldwork.billing import tariff_of
from app.fieldwork.route_csv import read_route
from app.fieldwork.service import FieldService
from app.fieldwork.tariff_config import tariffs_for
from app.replication.outbox import fieldbook_path, journal_path
from app.replication.wire import Stream
from app.storage.fieldbook import Fieldbook
from app.storage.journal import Journal
from app.storage.replica import TABLE, RowState
from tests.support.pg import PgCluster, free_port
from tests.support.routes import reading_for, write_route

ROOT = Path(__file__).resolve().parents[2]
SALE_RECORDS = 2  # Journal.record: the sale and its event
REFUND_RECORDS = 3  # record_refund / close_refund: the sale, its event, the refund
#: PostgreSQL for the quick run: no fsync (a killed server's WAL is in the OS's cache all the same), but
#: synchronous_commit stays on: with it off a commit is acknowledged before its WAL leaves the server's memory,
#: and an immediate stop loses it (tests/support/pg.FAST is for tests that never kill the server).
KILLABLE = "-c fsync=off -c full_page_writes=off"
READING_ODDS = 0.6  # of an action being a reading (1 record) rather than a sale (about 6.6): a quarter of the records


def _python_env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


@dataclass
class Machine:
    """One till or field laptop: its home, its keyring file (outside the home), its sender process."""

    name: str
    kind: DeviceKind
    home: Path
    proc: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def stream(self) -> Stream:
        return Stream.JOURNAL if self.kind is DeviceKind.TILL else Stream.FIELDBOOK

    @property
    def data_dir(self) -> Path:
        return paths(self.home).data_dir

    @property
    def database(self) -> Path:
        path = journal_path if self.stream is Stream.JOURNAL else fieldbook_path
        return path(self.data_dir, True)

    def env(self, code: str = "") -> dict[str, str]:
        return _python_env(
            {
                "TILLQR_HOME": str(self.home),
                "TILLQR_TEST_KEYRING": str(self.home.parent / f"{self.name}-keyring.json"),
                "PYTHON_KEYRING_BACKEND": "tests.support.filekeyring.FileKeyring",
                "TILLQR_ENROLMENT_CODE": code,
            }
        )

    def start_sender(self, url: str, code: str = "") -> None:
        """The push loop (tests/support/push_loop.py) started; registers first when the home is not yet."""
        if self.log is None:
            self.log = (self.home.parent / f"{self.name}-sender.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.push_loop", url, self.kind.value, self.name],
            stdout=self.log,
            stderr=self.log,
            env=self.env(code),
            cwd=ROOT,
        )

    def ready(self) -> bool:
        return (self.data_dir / "push_loop.ready").exists()

    def kill_sender(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(30)
        self.proc = None

    def waiting(self) -> int:
        """Records of this machine's outbox not yet acknowledged (read as another process would)."""
        if not self.database.exists():
            return 0
        with sqlite3.connect(self.database, timeout=30) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {TABLE} WHERE state=?", (RowState.WAITING,)).fetchone()[0])


class ServiceProcess:
    """``tillqr backoffice serve`` on a fixed port of 127.0.0.1, started again after each kill."""

    def __init__(self, dsn: str, folder: Path) -> None:
        self.dsn = dsn
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (folder / "service.log").open("ab")
        self.proc: subprocess.Popen[str] | None = None

    def start(self, attempts: int = 20) -> None:
        """Started and listening (its banner read); tried again while the port is still held by the last one."""
        for _ in range(attempts):
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", "backoffice", "serve", "--port", str(self.port)],
                stdout=subprocess.PIPE,
                stderr=self.log,
                text=True,
                env=_python_env({"TILLQR_BACKOFFICE_DSN": self.dsn}),
                cwd=ROOT,
            )
            assert self.proc.stdout is not None
            if " on http://" in self.proc.stdout.readline():
                return
            self.proc.wait(30)
            time.sleep(0.1)  # the port held a moment after the last one died
        raise RuntimeError(f"tillqr backoffice serve did not start on port {self.port} (see service.log)")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(30)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
        self.proc = None

    def close(self) -> None:
        self.kill()
        self.log.close()


@dataclass
class Fleet:
    """The database, the service and the machines; ``folder`` holds the homes and the logs."""

    cluster: PgCluster
    pg_options: str
    dsn: str
    folder: Path
    service: ServiceProcess
    machines: list[Machine] = field(default_factory=list)

    @classmethod
    def start(cls, cluster: PgCluster, pg_options: str, folder: Path, tills: int = 3, laptops: int = 2) -> Fleet:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute(b'CREATE DATABASE "harness"')
        dsn = cluster.dsn("harness")
        migrate(dsn)
        fleet = cls(cluster, pg_options, dsn, folder, ServiceProcess(dsn, folder))
        fleet.service.start()
        kinds = [DeviceKind.TILL] * tills + [DeviceKind.LAPTOP] * laptops
        codes = asyncio.run(_enrol(dsn, kinds))
        for i, (kind, code) in enumerate(zip(kinds, codes, strict=True), 1):
            machine = Machine(f"{kind.value}{i}", kind, folder / f"{kind.value}{i}")
            machine.start_sender(fleet.service.url, code)
            fleet.machines.append(machine)
        return fleet

    def wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not all(m.ready() for m in self.machines):
            broken = [m.name for m in self.machines if m.proc is not None and m.proc.poll() is not None]
            if broken or time.monotonic() > deadline:
                raise RuntimeError(f"senders not registered: {broken or 'timed out'} (see their logs)")
            time.sleep(0.05)

    def kill_database(self) -> None:
        """``pg_ctl stop -m immediate`` (the server's processes die, no checkpoint), then started again."""
        self.cluster.stop("immediate")
        self.cluster.start(self.pg_options)

    def wait_drained(self, timeout_s: float) -> float:
        """Until every machine's outbox is acknowledged; the seconds it took (RuntimeError past ``timeout_s``)."""
        started = time.monotonic()
        while any(m.waiting() for m in self.machines):
            if time.monotonic() - started > timeout_s:
                left = {m.name: m.waiting() for m in self.machines}
                raise RuntimeError(f"outboxes not drained after {timeout_s} s: {left}")
            time.sleep(0.1)
        return time.monotonic() - started

    def close(self) -> None:
        for m in self.machines:
            m.kill_sender()
            if m.log is not None:
                m.log.close()
        self.service.close()


async def _enrol(dsn: str, kinds: list[DeviceKind]) -> list[str]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return [(await db.enrol(conn, name=f"harness {i}", store="Harness", kind=k)).code for i, k in enumerate(kinds)]


class Producer(threading.Thread):
    """Writes about ``total`` records over the machines, through the real journal and field book, in its own
    thread (and event loop) while the senders push and the harness kills; ``written`` counts them as it goes."""

    def __init__(self, machines: list[Machine], total: int, seed: int) -> None:
        super().__init__(name="producer", daemon=True)
        self.machines = machines
        self.total = total
        self.rng = random.Random(seed)
        self.written = 0
        self.sales = 0
        self.refunds = 0
        self.readings = 0
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self._produce())
        except BaseException as exc:  # any: the harness raises it in its own thread
            self.error = exc
        finally:
            self.done.set()

    async def _produce(self) -> None:
        tills = [m for m in self.machines if m.stream is Stream.JOURNAL]
        laptops = [m for m in self.machines if m.stream is Stream.FIELDBOOK]
        share = self.total // 4 // max(1, len(laptops)) if tills else self.total // max(1, len(laptops))
        journals = [Journal(m.database) for m in tills]
        books = [await _field_service(m, share + 10) for m in laptops]
        try:
            next_bill = [0] * len(books)
            while self.written < self.total:
                if books and (not journals or self.rng.random() < READING_ODDS):
                    i = self.rng.randrange(len(books))
                    service, bills = books[i]
                    n = next_bill[i] % len(bills)
                    await service.record(bills[n], reading_for(n + 1, 1000 + n + 1 + next_bill[i] // len(bills)))
                    next_bill[i] += 1
                    self.readings += 1
                    self.written += 1
                else:
                    await self._sale(self.rng.choice(journals))
        finally:
            for j in journals:
                await j.aclose()
            for service, _bills in books:
                await service.book.aclose()

    async def _sale(self, journal: Journal) -> None:
        """A sale's life at the counter: created, linked, settled (or expired), now and then refunded."""
        sale = Sale.new(Money(self.rng.randint(100, 90000), "BRL"), "depay", f"order {self.sales}")
        await journal.record(sale, "created")
        sale = sale.move(SaleStatus.LINKED, request_id=f"req-{sale.sale_id}")
        await journal.record(sale, "linked")
        paid = self.rng.random() < 0.9
        sale = sale.move(SaleStatus.SETTLED if paid else SaleStatus.EXPIRED, closed_at=sale.updated_at)
        if paid:
            sale = sale.with_(amount_received=sale.amount)
        await journal.record(sale, "settled" if paid else "expired")
        self.sales += 1
        self.written += 3 * SALE_RECORDS
        if paid and self.rng.random() < 0.1:
            key = f"{sale.sale_id}-refund-1"
            refund = {"refund_key": key, "amount_minor": sale.amount.minor, "status": "pending", "reason": "harness"}
            await journal.record_refund(sale, refund)
            await journal.close_refund(sale, key, "refused by the manager")
            self.refunds += 1
            self.written += 2 * REFUND_RECORDS


async def _field_service(machine: Machine, bills: int) -> tuple[FieldService, list[str]]:
    """The laptop's demo field book with a route of ``bills`` bills, readings taken offline."""
    machine.data_dir.mkdir(parents=True, exist_ok=True)
    route = machine.home.parent / f"{machine.name}-route.csv"
    ids = write_route(route, bills, prefix=machine.name.upper())
    p = paths(machine.home)
    tariffs = tariffs_for(p, True)
    book = Fieldbook(machine.database)
    parsed = read_route(route, tariffs)
    await book.add_route(str(route), [(b, tariff_of(b, tariffs).currency) for b in parsed])
    return FieldService(book, tariffs), ids
