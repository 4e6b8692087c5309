"""Exactly once under kills: the campaign (records written while senders, the service and PostgreSQL are killed
at random) and the audit that compares every device's outbox with what the back office holds.

The audit, per device and stream: the outbox's seqs are gap-free from 1 and so are the back office's; no record of
the outbox is missing there (lost), none is there that the outbox lacks or twice (duplicated: also no record_id
twice in the whole table); each record's record_id and sha256 are the outbox's, and the sha256 of the payload as
PostgreSQL gives it back (``wire.digest``) is the outbox's too; nothing is waiting or set aside on the device, no
conflict or refusal at the back office; the device's cursor is its last seq; every sale of a till's journal is in
the ``sales`` projection with the journal's status. ``Audit.problems`` lists what broke, in words (goal: none).

Used by tests/reliability/test_replication_kills.py (a few kills) and benchmarks/replication_harness.py (300+).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

import psycopg

from app.replication.identity import identity_file, load_identity
from app.replication.wire import Stream, digest
from app.storage.replica import TABLE, RowState
from tests.support.fleet import Fleet, Machine, Producer


class Kill(StrEnum):
    SENDER = "sender"  # SIGKILL of a machine's push loop
    SERVICE = "service"  # SIGKILL of tillqr backoffice serve
    DATABASE = "database"  # pg_ctl stop -m immediate


WEIGHTS = {Kill.SENDER: 5, Kill.SERVICE: 3, Kill.DATABASE: 2}


@dataclass
class Tally:
    kills: Counter[Kill] = field(default_factory=Counter)
    seconds: float = 0.0  # from the first record to the last kill
    drain_s: float = 0.0  # from the last kill to every outbox acknowledged

    @property
    def total(self) -> int:
        return sum(self.kills.values())


def campaign(fleet: Fleet, producer: Producer, kills: int, rng: random.Random, gap_s: tuple[float, float]) -> Tally:
    """Kills at random moments, ``gap_s`` apart, while ``producer`` writes: at least ``kills`` of them (each kind
    at least once), and on until the producer is done; then waits for every outbox to drain."""
    tally = Tally()
    order = list(Kill)
    rng.shuffle(order)
    started = time.monotonic()
    producer.start()
    while tally.total < kills or not producer.done.is_set():
        producer.done.wait(rng.uniform(*gap_s))  # returns at once when done: the last kills then come faster
        if producer.error is not None:
            raise producer.error
        kind = order[tally.total] if tally.total < len(order) else rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
        if kind is Kill.SENDER:
            machine = rng.choice(fleet.machines)
            machine.kill_sender()
            machine.start_sender(fleet.service.url)
        elif kind is Kill.SERVICE:
            fleet.service.kill()
            fleet.service.start()
        else:
            fleet.kill_database()
        tally.kills[kind] += 1
    producer.join()
    if producer.error is not None:
        raise producer.error
    tally.seconds = time.monotonic() - started
    tally.drain_s = fleet.wait_drained(timeout_s=300)
    return tally


@dataclass
class DeviceAudit:
    name: str
    stream: Stream
    records: int = 0
    at_backoffice: int = 0
    lost: int = 0
    duplicated: int = 0
    hash_mismatches: int = 0
    gaps: int = 0
    waiting: int = 0
    set_aside: int = 0
    cursor: int = 0
    sales: int = 0
    sales_not_as_journal: int = 0


@dataclass
class Audit:
    devices: list[DeviceAudit] = field(default_factory=list)
    conflicts: int = 0
    refused: int = 0
    record_ids_twice: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(d.records for d in self.devices)

    def total(self, name: str) -> int:
        return sum(int(getattr(d, name)) for d in self.devices)

    def to_json(self) -> dict[str, object]:
        sums = ("lost", "duplicated", "hash_mismatches", "gaps", "waiting", "set_aside", "sales_not_as_journal")
        return {
            "records": self.records,
            "at_backoffice": self.total("at_backoffice"),
            **{name: self.total(name) for name in sums},
            "conflicts": self.conflicts,
            "refused": self.refused,
            "record_ids_twice": self.record_ids_twice,
            "per_device": {
                d.name: {"stream": d.stream.value, "records": d.records, "sales": d.sales} for d in self.devices
            },
            "problems": self.problems[:20],
        }


def audit(fleet: Fleet) -> Audit:
    found = Audit()
    with psycopg.connect(fleet.dsn) as conn:
        for machine in fleet.machines:
            found.devices.append(_device(conn, machine, found.problems))
        found.conflicts = _count(conn, "SELECT count(*) FROM conflicts")
        found.refused = _count(conn, "SELECT count(*) FROM refused")
        found.record_ids_twice = _count(conn, "SELECT count(*) - count(DISTINCT record_id) FROM records")
    for name, n in (
        ("conflicts", found.conflicts),
        ("refused", found.refused),
        ("record_ids twice", found.record_ids_twice),
    ):
        if n:
            found.problems.append(f"{n} {name} at the back office")
    return found


def _count(conn: psycopg.Connection, sql: str, *params: object) -> int:
    row = conn.execute(sql.encode(), params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _device(conn: psycopg.Connection, machine: Machine, problems: list[str]) -> DeviceAudit:
    identity = load_identity(identity_file(machine.data_dir, True))
    assert identity is not None, f"{machine.name} is not registered"
    d = DeviceAudit(machine.name, machine.stream)
    with sqlite3.connect(machine.database) as lite:
        mine = {
            seq: (rid, sha, state)
            for seq, rid, sha, state in lite.execute(f"SELECT seq, record_id, sha256, state FROM {TABLE} ORDER BY seq")
        }
        journal_sales = dict(lite.execute("SELECT sale_id, status FROM sales")) if d.stream is Stream.JOURNAL else {}
    rows = conn.execute(
        "SELECT seq, record_id, sha256, payload FROM records WHERE device_id = %s AND stream = %s ORDER BY seq",
        (identity.device_id, machine.stream.value),
    ).fetchall()
    theirs = {seq: (rid, sha, payload) for seq, rid, sha, payload in rows}
    d.records, d.at_backoffice = len(mine), len(rows)
    d.lost = len(mine.keys() - theirs.keys())
    d.duplicated = len(rows) - len(theirs) + len(theirs.keys() - mine.keys())
    d.gaps = int(sorted(mine) != list(range(1, len(mine) + 1))) + int(sorted(theirs) != list(range(1, len(theirs) + 1)))
    for seq in mine.keys() & theirs.keys():
        rid, sha, _state = mine[seq]
        t_rid, t_sha, payload = theirs[seq]
        if (rid, sha) != (t_rid, t_sha) or digest(payload) != sha:
            d.hash_mismatches += 1
    states = Counter(state for _rid, _sha, state in mine.values())
    d.waiting, d.set_aside = states[RowState.WAITING], states[RowState.SET_ASIDE]
    d.cursor = _count(
        conn, "SELECT seq FROM cursors WHERE device_id = %s AND stream = %s", identity.device_id, machine.stream.value
    )
    if journal_sales:
        projected = dict(
            conn.execute("SELECT sale_id, status FROM sales WHERE device_id = %s", (identity.device_id,)).fetchall()
        )
        d.sales = len(journal_sales)
        d.sales_not_as_journal = sum(1 for s, status in journal_sales.items() if projected.get(s) != status)
    for what in ("lost", "duplicated", "hash_mismatches", "gaps", "waiting", "set_aside", "sales_not_as_journal"):
        if getattr(d, what):
            problems.append(f"{machine.name}: {getattr(d, what)} {what.replace('_', ' ')}")
    if d.cursor != len(mine):
        problems.append(f"{machine.name}: cursor {d.cursor}, last seq {len(mine)}")
    return d


def figures(tally: Tally, found: Audit, **more: object) -> str:
    """The run's figures as JSON: the kills, the times, the audit."""
    out: dict[str, object] = {
        "kills": tally.total,
        "kills_by_kind": {k.value: tally.kills[k] for k in Kill},
        "seconds": round(tally.seconds, 1),
        "drain_after_last_kill_s": round(tally.drain_s, 1),
        "records_per_s_end_to_end": round(found.records / max(tally.seconds + tally.drain_s, 1e-9)),
        **more,
        **found.to_json(),
    }
    return json.dumps(out, indent=2)
