"""Damage a SQLite file the way a failing disk does: garbage written over pages in the middle of it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.storage.journal import Journal


def scribble(path: Path) -> bytes:
    """Overwrite one whole page in the middle of ``path`` (a checkpointed database, its connections closed)
    with garbage; returns the file's bytes afterwards (to show nothing more was written into it)."""
    conn = sqlite3.connect(path)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    pages = len(data) // page
    assert pages >= 3, f"{path} is too small to damage inside its pages ({pages} pages)"
    at = page * (pages // 2)
    data[at : at + page] = b"\xde\xad\xbe\xef" * (page // 4)
    path.write_bytes(bytes(data))
    return bytes(data)


def closed_sale(amount: str = "12.50") -> Sale:
    sale = Sale.new(Money.parse(amount, "BRL"), "jpmorgan", "", link_id="L1")
    return sale.move(SaleStatus.CANCELLED).with_(closed_at=utcnow(), unlinked=True)


async def journal_with_sales(path: Path, n: int, *, backup: bool = False) -> list[str]:
    """A journal at ``path`` with ``n`` more closed sales (and a backup after them); their ids."""
    j = Journal(path)
    try:
        sales = [closed_sale(f"{i + 1}.00") for i in range(n)]
        for s in sales:
            await j.record(s, "closed")
        if backup:
            await j.backup()
    finally:
        await j.aclose()
    return [s.sale_id for s in sales]


def aside(path: Path, why: str) -> list[Path]:
    """The files ``path`` was moved aside to (``<name>.<why>-<UTC time>``)."""
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.{why}-"))
