"""Route files for the field tests and benchmarks: ``n`` plausible bills, both demo tariffs."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from app.config.paths import paths
from app.fieldwork.service import FieldService
from app.fieldwork.tariff_config import tariffs_for
from app.storage.fieldbook import Fieldbook

HEADER = ["bill_id", "customer", "address", "meter_id", "previous_reading", "tariff"]


def write_route(path: Path, n: int, *, prefix: str = "B") -> list[str]:
    """Write a route CSV of ``n`` bills; returns their ids in order."""
    ids = [f"{prefix}{i:06d}" for i in range(1, n + 1)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i, bill_id in enumerate(ids, 1):
            out.writerow(
                [
                    bill_id,
                    f"Cliente {i}",
                    f"Estrada Vicinal {i}, Zona Rural, Alto Paraíso",
                    f"M{i:07d}",
                    str(1000 + i),
                    "residential" if i % 3 else "commercial",
                ]
            )
    return ids


def reading_for(i: int, previous: int) -> str:
    """A plausible new reading for bill number ``i`` (1-based)."""
    return str(previous + 50 + (i * 37) % 400)


def record_offline(home: Path, readings: list[tuple[str, str]]) -> None:
    """Record ``(bill id, reading)`` pairs in the demo field book under ``home``, through the same command layer
    `tillqr bills record` uses (``FieldService.record``: no network), in one process: a thousand readings by
    the command would spend minutes starting Python."""

    async def main() -> None:
        p = paths(home)
        book = Fieldbook(p.data_dir / "fieldbook-demo.sqlite3")
        try:
            service = FieldService(book, tariffs_for(p, True))
            for bill_id, reading in readings:
                await service.record(bill_id, reading)
        finally:
            await book.aclose()

    asyncio.run(main())
