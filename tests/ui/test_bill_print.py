"""The printed bills: laid out on A4 (app.fieldwork.billsheet), painted by Qt (app.ui.bill_render) and read back
as a phone would (zxing-cpp): every QR on a sheet is exactly its bill's payload, in order."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from app.fieldwork.billsheet import MIN_QR_MM, SCAN_WORDS, BillArea, PrintedBill, layout_pages
from app.qr.printlayout import em_width
from app.qr.schemes import pix_dynamic
from app.ui.bill_render import page_image, write_pdf
from tests.ui.qrgrab import grey, read_codes


def _bill(n: int, **changes: object) -> PrintedBill:
    bill = PrintedBill(
        bill_id=f"B-{n:04d}",
        customer=f"Customer {n}",
        address=f"Rua {n}, Centro, Crato - CE",
        meter_id=f"M{1000 + n}",
        previous_reading=Decimal("12345.5"),
        tariff_label="Residential",
        due_date=date(2024, 8, 10),
        payload=pix_dynamic(
            f"pix.sandbox.tillqr.dev/jpmorgan/links/{n:032x}", merchant_name="Cia Energia", merchant_city="CRATO"
        ),
        store_name="Companhia Energética do Cariri",
    )
    return replace(bill, **changes)  # type: ignore[arg-type]


def _decoded_in_reading_order(page: Image.Image) -> list[str]:
    codes = read_codes(page)
    # the top half of the sheet first (at most two rows of bills), then left to right
    codes.sort(key=lambda c: (c.position.top_left.y * 2 // page.height, c.position.top_left.x))
    return [c.text for c in codes]


@pytest.mark.parametrize("per_page", [1, 2, 4])
def test_every_qr_on_a_sheet_reads_back_as_its_bill_in_order(qapp, per_page: int) -> None:
    bills = [_bill(n) for n in range(per_page + 1)]  # a full sheet and one more on the next
    pages = layout_pages(bills, per_page)
    assert len(pages) == 2 and [len(p.bills) for p in pages] == [per_page, 1]
    found = [text for page in pages for text in _decoded_in_reading_order(grey(page_image(page)))]
    assert found == [b.payload for b in bills]


def test_each_bill_says_what_the_agent_and_the_customer_need(qapp) -> None:
    (page,) = layout_pages([_bill(1), _bill(2, due_date=None, due_days=10), _bill(3, due_date=None)], 4)
    first, second, third = page.bills
    assert first.text("store") == ["Companhia Energética do Cariri"]
    assert first.text("bill") == ["Bill B-0001"] and first.text("customer") == ["Customer 1"]
    assert first.text("meter") == ["M1001"] and first.text("previous") == ["12345.5"]
    assert first.text("tariff") == ["Residential"] and first.text("due") == ["2024-08-10"]
    assert second.text("due") == ["10 days after the reading"] and third.text("due") == ["set when the meter is read"]
    assert first.text("scan") == [str(SCAN_WORDS)] == ["Scan to pay once the reading is sent"]
    assert first.text("reading") == ["New reading"] and first.text("date") == ["Date"]
    assert any(b.stroke > 0 for b in first.boxes)  # the box the reading is written in
    assert len(page.lines) == 2 and all(line.dashed for line in page.lines)  # cut lines: one across, one down
    assert layout_pages([_bill(1)], 1)[0].lines == ()


@pytest.mark.parametrize("per_page", [1, 2, 4])
def test_the_qr_is_big_enough_to_scan_from_paper(per_page: int) -> None:
    (page,) = layout_pages([_bill(n, address="Rua " * 60) for n in range(per_page)], per_page)
    for area in page.bills:
        assert area.qr.size >= MIN_QR_MM >= 30  # quiet zone included
        assert area.qr.size / area.qr.modules >= 0.5  # mm a module


def _inside(area: BillArea) -> list[str]:
    """What of the bill is drawn outside its rectangle (texts by their estimated width)."""
    r = area.rect
    out = []
    for t in area.texts:
        assert t.width is not None
        drawn = em_width(t.text, t.bold) * t.size
        if drawn > t.width + 1e-6 or not r.holds(t.left, t.y - t.size, t.width, t.size * 1.25):
            out.append(f"{t.role}: {t.text!r}")
    out += [f"box {b}" for b in area.boxes if not r.holds(b.x, b.y, b.w, b.h)]
    q = area.qr
    if not r.holds(q.x, q.y, q.size, q.size):
        out.append("qr")
    out += [  # nothing written over the code (its quiet zone included)
        f"{t.role} over the qr"
        for t in area.texts
        if t.left < q.x + q.size and q.x < t.left + (t.width or 0) and t.y - t.size < q.y + q.size and q.y < t.y
    ]
    return out


@pytest.mark.parametrize("per_page", [1, 2, 4])
def test_long_names_and_addresses_stay_inside_the_bill(per_page: int) -> None:
    address = ("Travessa Nossa Senhora das Candeias do Alto da Serra, Bloco B, Apartamento 502, " * 3)[:200]
    long = _bill(
        1,
        customer="Antônio Francisco de Assis Cavalcante Albuquerque Bezerra de Menezes Sobrinho " * 2,
        address=address,
        store_name="Companhia Energética do Cariri e do Sertão Central do Estado do Ceará " * 2,
        meter_id="W" * 80,
        bill_id="X" * 60,
    )
    unbroken = _bill(2, address="A" * 200, customer="B" * 120)
    areas = [area for page in layout_pages([long, unbroken], per_page) for area in page.bills]
    assert len(areas) == 2
    for area in areas:
        assert _inside(area) == []
        assert 1 <= len(area.text("address")) <= 3 and 1 <= len(area.text("customer")) <= 2
    first = areas[0]
    assert first.text("address")[-1].endswith("…")  # cut, and says so
    assert " ".join(first.text("address")).replace("…", "") in address


def test_a_pdf_of_five_bills_two_a_sheet_has_three_a4_pages_readable_only_by_its_user(qapp, tmp_path: Path) -> None:
    target = tmp_path / "bills.pdf"
    target.write_bytes(b"an older print")
    target.chmod(0o644)
    write_pdf(layout_pages([_bill(n) for n in range(5)], 2), target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data)) == 3
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}  # A4 in points
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["bills.pdf"]  # no temporary file left


def test_nothing_to_print_leaves_the_old_file(qapp, tmp_path: Path) -> None:
    target = tmp_path / "bills.pdf"
    target.write_bytes(b"kept")
    with pytest.raises(ValueError, match="no bills"):
        write_pdf([], target)
    assert target.read_bytes() == b"kept"


def test_only_one_two_or_four_a_sheet() -> None:
    with pytest.raises(ValueError, match="1, 2 or 4, not 3"):
        layout_pages([_bill(1)], 3)
    assert layout_pages([], 4) == []


def test_a_bill_whose_payload_has_errors_is_refused_by_its_number() -> None:
    good = _bill(1).payload
    broken = good[:-4] + ("0000" if not good.endswith("0000") else "FFFF")  # the CRC no longer matches
    with pytest.raises(ValueError, match=r"refusing to print bill 'B-0002'.*CRC"):
        layout_pages([_bill(1), _bill(2, payload=broken)], 2)
    with pytest.raises(ValueError, match="bill 'B-0003'"):
        layout_pages([_bill(3, payload="https://example.com/pay")], 1)
    with pytest.raises(ValueError, match="without the utility's name"):
        layout_pages([_bill(4, store_name="  ")], 1)


def test_the_pdf_pages_scan_as_the_bills_where_pdftoppm_can_render_them(qapp, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed: the PDF was not rendered")
    bills = [_bill(n) for n in range(5)]
    write_pdf(layout_pages(bills, 4), tmp_path / "bills.pdf")
    pdf, prefix = str(tmp_path / "bills.pdf"), str(tmp_path / "page")
    subprocess.run(["pdftoppm", "-r", "200", "-png", pdf, prefix], check=True, timeout=60)
    found = [
        text
        for png in sorted(tmp_path.glob("page*.png"))
        for text in _decoded_in_reading_order(Image.open(png).convert("L"))
    ]
    assert found == [b.payload for b in bills]
