"""A short fault soak (tests/support/soak.py): sales through the controller while the sandbox answers 20 % 5xx,
holds 10 % of answers past the client's timeout and adds 300 ms to every call. The long run (1,000 sales) is
``benchmarks/fault_soak.py``."""

from __future__ import annotations

from pathlib import Path

from tests.support.soak import soak


async def test_sales_under_faults_are_never_duplicated_lost_or_left_open(tmp_path: Path) -> None:
    figures = await soak(tmp_path, 8)
    report = figures.to_json()
    assert figures.sales == 8 and figures.final.get("settled", 0) >= 1, report
    assert (figures.duplicates, figures.stuck_open, figures.settled_not_once, figures.unknown_payments) == (
        0,
        0,
        0,
        0,
    ), report
