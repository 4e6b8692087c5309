"""``tillqr journal receipt`` and ``tillqr journal shift`` on the demo journal (a sale paid through the real
controller on the in-process sandbox first)."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys

from app.__main__ import main
from app.runtime import open_runtime


def _paid_sale(home) -> str:
    async def go() -> str:
        rt = await open_runtime(demo=True, provider="depay", home=home, poll_interval=0.05)
        try:
            sale = await rt.controller.charge("12.50", "table 4")
            await rt.sandbox.pay(sale.payload)
            return (await rt.controller.wait_closed(sale.sale_id, timeout=10)).sale_id
        finally:
            await rt.aclose()

    return asyncio.run(go())


def test_receipt_and_shift_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    sale_id = _paid_sale(tmp_path)

    assert main(["journal", "receipt", sale_id[:8], "--demo"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 48 for line in out)  # the default: 80 mm paper
    assert any(line.startswith("Sale") and line.endswith(sale_id[:8]) for line in out)
    assert any(line.startswith("Amount") and line.endswith("ARS 12.50") for line in out)
    assert out[-1].strip() == "Not a fiscal document"

    pdf = tmp_path / "r.pdf"  # in a process of its own: Qt paints the PDF (this one must stay Qt-free for others)
    done = subprocess.run(
        [sys.executable, "-m", "app", "journal", "receipt", sale_id, "--pdf", str(pdf), "--demo"],
        env={**os.environ, "TILLQR_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and f"Receipt saved as {pdf}" in done.stderr

    assert main(["journal", "receipt", "nosuchsale", "--demo"]) == 1
    assert "there is no sale nosuchsale" in capsys.readouterr().err

    report = tmp_path / "shift.csv"
    assert main(["journal", "shift", "--csv", str(report), "--demo"]) == 0
    with open(report, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1] == ["sales", "depay", "settled", "ARS", "1", "12.50", "12.50", "0.00", ""]  # no cashier

    assert main(["journal", "shift", "--close", "--demo"]) == 0  # no PIN set: the demo journal needs none
    assert "shift closed" in capsys.readouterr().err
    assert main(["journal", "shift", "--demo"]) == 0
    assert "No sales in this shift." in capsys.readouterr().out
