"""``tillqr bills print``: the field book's bills laid out (``app.fieldwork.billsheet``) and painted to a PDF by Qt
(``app.ui.bill_render``, imported only here, only when asked for)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from app.domain.tariffs import Tariff
from app.fieldwork.billsheet import PrintedBill, layout_pages
from app.fieldwork.service import BillRow
from app.i18n import _, ngettext


def printed(rows: Sequence[BillRow], store_name: str, tariffs: Mapping[str, Tariff]) -> list[PrintedBill]:
    """The bills as printed; every one needs its payment link's payload (the import creates it)."""
    missing = [r.bill.bill_id for r in rows if not r.payload]
    if missing:
        shown = ", ".join(missing[:5])
        if len(missing) > 5:
            shown = _("{bills} and {n} more").format(bills=shown, n=len(missing) - 5)
        raise ValueError(
            ngettext(
                "{n} bill has no payment link yet ({bills}): run `tillqr bills import` again when online",
                "{n} bills have no payment link yet ({bills}): run `tillqr bills import` again when online",
                len(missing),
            ).format(n=len(missing), bills=shown)
        )
    if not rows:
        raise ValueError(_("no bills to print: import a route first (`tillqr bills import ROUTE.csv`)"))
    return [
        PrintedBill(
            bill_id=r.bill.bill_id,
            customer=r.bill.customer,
            address=r.bill.address,
            meter_id=r.bill.meter_id,
            previous_reading=r.bill.previous_reading,
            tariff_label=r.tariff_label,
            due_date=r.bill.due_date,
            payload=r.payload or "",
            store_name=store_name,
            due_days=tariffs[r.bill.tariff].due_days if r.bill.tariff in tariffs else None,
        )
        for r in rows
    ]


def print_pdf(
    rows: Sequence[BillRow], path: Path, per_page: int, store_name: str, tariffs: Mapping[str, Tariff]
) -> int:
    """Write the bills to ``path``; returns the number of pages."""
    from app.ui.bill_render import write_pdf  # lazy: Qt only when printing

    pages = layout_pages(printed(rows, store_name, tariffs), per_page=per_page)
    write_pdf(pages, path)
    return len(pages)
