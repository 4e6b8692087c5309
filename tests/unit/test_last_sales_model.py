"""LastSalesModel: the till's last sales from the real journal, newest first, in words; Reprint only for a sale
that took money. (Reprinting to a PDF is in tests/ui/test_counter_extras.py: the PDF is painted by Qt.)"""

from __future__ import annotations

from datetime import UTC

from app.domain.sale import SaleStatus
from app.screens.last_sales_model import LastSalesModel
from tests.support.till import demo_till


async def test_the_last_sales_newest_first_with_reprint_for_paid_ones(tmp_path):
    async with demo_till(tmp_path) as rt:
        paid = await rt.controller.charge("12.50", "table 4")
        await rt.sandbox.pay(paid.payload)
        await rt.controller.wait_closed(paid.sale_id, timeout=10)
        await rt.controller.charge("3.00")
        cancelled = await rt.controller.cancel()
        assert cancelled is not None
        await rt.controller.wait_closed(cancelled.sale_id, timeout=10)

        model = LastSalesModel(rt.journal, None, tz=UTC)
        assert model.empty_text == ""
        assert await model.load()
        assert [(line.amount, line.status, line.reference, line.can_reprint) for line in model.lines] == [
            ("BRL 3.00", "Cancelled", "", False),
            ("BRL 12.50", "Paid", "table 4", True),
        ]
        assert model.lines[1].time == f"{paid.created_at.astimezone(UTC):%H:%M}"
        assert not model.can_reprint  # no printer: no Reprint at all
        assert not await model.reprint(paid.sale_id)


async def test_the_list_holds_only_the_last_few(tmp_path):
    async with demo_till(tmp_path) as rt:
        for n in range(1, 5):
            await rt.controller.charge(f"{n}.00")
            ended = await rt.controller.cancel()
            assert ended is not None and ended.status is SaleStatus.CANCELLED
            await rt.controller.wait_closed(ended.sale_id, timeout=10)
        model = LastSalesModel(rt.journal, None, limit=3)
        await model.load()
        assert [line.amount for line in model.lines] == ["BRL 4.00", "BRL 3.00", "BRL 2.00"]


async def test_an_empty_till_says_so(tmp_path):
    async with demo_till(tmp_path) as rt:
        model = LastSalesModel(rt.journal, None)
        await model.load()
        assert model.lines == [] and model.empty_text == "No sales yet on this till."
