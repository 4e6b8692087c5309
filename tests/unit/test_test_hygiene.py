"""The suite waits on events, not on the clock: no sleep() over 0.2 s and no qtbot.wait() over 200 ms in tests/."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
MAX_SLEEP_S = 0.2
MAX_QT_WAIT_MS = 200

SLEEP = re.compile(r"\bsleep\(\s*([0-9][0-9_]*(?:\.[0-9]*)?(?:e-?[0-9]+)?)\s*\)")
QT_WAIT = re.compile(r"\bqtbot\.wait\(\s*([0-9][0-9_]*)\s*\)")


def long_waits(root: Path) -> list[str]:
    """Every ``sleep(<literal> s)`` over 0.2 s and ``qtbot.wait(<literal> ms)`` over 200 ms under ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(root)}:{number}: {line.strip()}"
            found += [where for m in SLEEP.finditer(line) if float(m.group(1).replace("_", "")) > MAX_SLEEP_S]
            found += [where for m in QT_WAIT.finditer(line) if int(m.group(1).replace("_", "")) > MAX_QT_WAIT_MS]
    return found


def test_no_test_waits_on_the_clock():
    assert long_waits(TESTS) == [], "wait on an event (until(), qtbot.waitUntil, wait_closed), not on the clock"


def test_the_check_finds_planted_long_waits(tmp_path):
    sleep, wait = "sleep", "qtbot.wait"  # spelled apart, so this file itself passes the check
    (tmp_path / "test_planted.py").write_text(
        "import asyncio, time\n"
        "async def test_a():\n"
        f"    await asyncio.{sleep}(1.2)\n"  # found
        f"    time.{sleep}(0.5)\n"  # found
        f"    await asyncio.{sleep}(0.2)\n"  # allowed
        f"    await asyncio.{sleep}(0)\n"  # allowed
        "def test_b(qtbot):\n"
        f"    {wait}(300)\n"  # found
        f"    {wait}(50)\n",  # allowed
        encoding="utf-8",
    )
    found = long_waits(tmp_path)
    assert [f.split(": ", 1)[1] for f in found] == [
        f"await asyncio.{sleep}(1.2)",
        f"time.{sleep}(0.5)",
        f"{wait}(300)",
    ]
