"""Cashiers by name: who signs in at the counter, kept in the journal's database (Qt-free).

A cashier is a name and a short PIN (4 to 6 digits, ``app.config.pin.CASHIER_DIGITS``) that the manager sets.
The PIN is stored only as ``app.config.pin``'s hash (scrypt, peppered with the keyring's secret where there is
one: the manager PIN's own scheme), and checked by a ``PinGate`` of its own per cashier, with the manager PIN's
lock-out rule (5 wrong PINs in a row: 5 minutes refused), its count kept in a file beside the journal
(``<data>/pin-lockout/<journal>-cashier-<id>.json``) so that a restart does not reset it.

A cashier is never deleted: ``deactivate`` takes them off the sign-in list and frees their name, and every
sale, cancel and refund they made keeps their id and their name at that time (``sales.cashier_id`` /
``cashier_name``, ``refunds.cashier_id`` / ``cashier_name``). Names are unique among active cashiers, whatever
their case. With no active cashier (a one-person shop) the counter asks nobody to sign in.

Hashing and checking a PIN take ~50 ms of scrypt: they run on a worker thread (``asyncio.to_thread``), never on
the journal's own (which stays free for sales) nor the GUI's. ``gate`` hands the PIN dialog the same check to
run synchronously, as the manager PIN's dialog does.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from app.config.pin import CASHIER_DIGITS, Pepper, PinError, PinGate, hash_pin, make_pepper, read_pepper
from app.domain.sale import Sale, utcnow
from app.i18n import _

from .journal import Journal

NAME_MAX = 40  # characters: fits a receipt's line and a sign-in button
LOCKOUT_DIR = "pin-lockout"

__all__ = ["Cashier", "CashierError", "Cashiers", "PinError"]


class CashierError(ValueError):
    """A change to the cashiers that was refused; the message is for the manager."""


@dataclass(frozen=True)
class Cashier:
    id: int
    name: str
    active: bool
    created_at: datetime
    pin_hash: str = field(repr=False, compare=False)

    @property
    def by(self) -> dict[str, int | str]:
        """Who did it, as a journal event's detail records it."""
        return {"cashier_id": self.id, "cashier": self.name}


def _row(row: sqlite3.Row) -> Cashier:
    return Cashier(
        id=int(row["id"]),
        name=str(row["name"]),
        active=bool(row["active"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        pin_hash=str(row["pin_hash"]),
    )


def clean_name(name: str) -> str:
    """A cashier's name as kept: spaces trimmed and runs of them made one; refused when empty or too long."""
    text = " ".join((name or "").split())
    if not text:
        raise CashierError(_("a cashier needs a name"))
    if len(text) > NAME_MAX:
        raise CashierError(_("a cashier's name has at most {n} characters").format(n=NAME_MAX))
    if not text.isprintable():
        raise CashierError(_("a cashier's name has only printable characters"))
    return text


class Cashiers:
    """The cashiers of one journal. ``pepper`` makes (or reads) the keyring's secret when a PIN is set,
    ``read`` reads it when one is checked (both the manager PIN's by default); ``clock`` drives the lock-out."""

    def __init__(
        self,
        journal: Journal,
        *,
        pepper: Pepper = make_pepper,
        read: Pepper = read_pepper,
        clock: Callable[[], float] = time.time,
        lockout_dir: Path | None = None,
    ):
        self.journal = journal
        self.pepper = pepper
        self.read_pepper = read
        self.clock = clock
        self.lockout_dir = lockout_dir if lockout_dir is not None else journal.path.parent / LOCKOUT_DIR

    # -- reading ------------------------------------------------------------------------------------
    async def roster(self, *, everyone: bool = False) -> list[Cashier]:
        """The active cashiers by name (``everyone``: the inactive ones too, after them)."""
        where = "" if everyone else "WHERE active = 1"
        return await self.journal.read(
            lambda c: [
                _row(r)
                for r in c.execute(f"SELECT * FROM cashiers {where} ORDER BY active DESC, name COLLATE NOCASE, id")
            ]
        )

    async def any_active(self) -> bool:
        """Whether the counter asks for a sign-in (at least one active cashier)."""
        return await self.journal.read(
            lambda c: bool(c.execute("SELECT EXISTS (SELECT 1 FROM cashiers WHERE active = 1)").fetchone()[0])
        )

    async def get(self, cashier_id: int) -> Cashier | None:
        rows = await self.journal.read(
            lambda c: c.execute("SELECT * FROM cashiers WHERE id=?", (cashier_id,)).fetchall()
        )
        return _row(rows[0]) if rows else None

    async def find(self, name: str) -> Cashier | None:
        """The active cashier called ``name`` (any case), or None."""
        text = " ".join((name or "").split())
        rows = await self.journal.read(
            lambda c: c.execute(
                "SELECT * FROM cashiers WHERE active = 1 AND name = ? COLLATE NOCASE", (text,)
            ).fetchall()
        )
        return _row(rows[0]) if rows else None

    async def named(self, name: str) -> Cashier:
        """The active cashier called ``name``; CashierError in words when there is none."""
        found = await self.find(name)
        if found is None:
            raise CashierError(_("there is no active cashier called {name}").format(name=repr(" ".join(name.split()))))
        return found

    async def last_sales(self, cashier_id: int, n: int = 10) -> list[Sale]:
        """The last ``n`` sales this cashier rang up, newest first."""
        return await self.journal.sales_by_cashier(cashier_id, n)

    # -- the manager's changes ---------------------------------------------------------------------------
    async def add(self, name: str, pin: str) -> Cashier:
        """A new active cashier; CashierError when the name is taken or bad, PinError when the PIN is."""
        text = clean_name(name)
        stored = await self._hash(pin)

        def tx(c: sqlite3.Connection) -> int:
            self._check_free(c, text)
            cur = c.execute(
                "INSERT INTO cashiers (name, pin_hash, active, created_at) VALUES (?, ?, 1, ?)",
                (text, stored, utcnow().isoformat()),
            )
            return int(cur.lastrowid or 0)

        made = await self.get(await self.journal.transaction(tx))
        assert made is not None
        return made

    async def rename(self, cashier_id: int, name: str) -> Cashier:
        """The cashier's new name (their earlier sales keep the name they had then)."""
        text = clean_name(name)

        def tx(c: sqlite3.Connection) -> None:
            self._check_free(c, text, but=cashier_id)
            if not c.execute("UPDATE cashiers SET name=? WHERE id=? AND active=1", (text, cashier_id)).rowcount:
                raise CashierError(_("that cashier is no longer active"))

        await self.journal.transaction(tx)
        return await self._must(cashier_id)

    async def set_pin(self, cashier_id: int, pin: str) -> None:
        """A new PIN for the cashier (their lock-out count starts again)."""
        stored = await self._hash(pin)

        def tx(c: sqlite3.Connection) -> None:
            if not c.execute("UPDATE cashiers SET pin_hash=? WHERE id=? AND active=1", (stored, cashier_id)).rowcount:
                raise CashierError(_("that cashier is no longer active"))

        await self.journal.transaction(tx)
        self._lockout_file(cashier_id).unlink(missing_ok=True)

    async def deactivate(self, cashier_id: int) -> Cashier:
        """Off the sign-in list for good (never deleted: their sales keep their name)."""

        def tx(c: sqlite3.Connection) -> None:
            if not c.execute("UPDATE cashiers SET active=0 WHERE id=? AND active=1", (cashier_id,)).rowcount:
                raise CashierError(_("that cashier is no longer active"))

        await self.journal.transaction(tx)
        return await self._must(cashier_id)

    # -- signing in -------------------------------------------------------------------------------------
    def gate(self, cashier: Cashier) -> PinGate:
        """The cashier's own PIN gate (their lock-out count in its file): checked synchronously by the PIN
        dialog, as the manager PIN is."""
        return PinGate(
            cashier.pin_hash, clock=self.clock, state_file=self._lockout_file(cashier.id), pepper=self.read_pepper
        )

    async def verify(self, who: int | str, pin: str) -> Cashier:
        """The active cashier ``who`` (id or name) once ``pin`` is theirs; PinError in words otherwise (a wrong
        PIN, the lock-out), CashierError when there is no such cashier."""
        cashier = await (self._must(who) if isinstance(who, int) else self.named(who))
        if not cashier.active:
            raise CashierError(_("{name} is no longer an active cashier").format(name=cashier.name))
        await asyncio.to_thread(self.gate(cashier).check, pin)
        return cashier

    # -- helpers ------------------------------------------------------------------------------------
    async def _hash(self, pin: str) -> str:
        return await asyncio.to_thread(lambda: hash_pin(pin, pepper=self.pepper(), digits=CASHIER_DIGITS))

    async def _must(self, cashier_id: int) -> Cashier:
        found = await self.get(cashier_id)
        if found is None:
            raise CashierError(_("there is no cashier {id}").format(id=cashier_id))
        return found

    def _lockout_file(self, cashier_id: int) -> Path:
        return self.lockout_dir / f"{self.journal.path.stem}-cashier-{cashier_id}.json"

    @staticmethod
    def _check_free(c: sqlite3.Connection, name: str, *, but: int | None = None) -> None:
        row = c.execute(
            "SELECT id FROM cashiers WHERE active = 1 AND name = ? COLLATE NOCASE AND id IS NOT ?", (name, but)
        ).fetchone()
        if row is not None:
            raise CashierError(_("there is already a cashier called {name}").format(name=name))
