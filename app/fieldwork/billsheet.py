"""The field agents' pre-printed bills, laid out on A4 sheets in millimetres. Qt-free.

:func:`layout_pages` places 1, 2 or 4 :class:`PrintedBill` a sheet; each bill in its own rectangle
(:class:`BillArea`) holds the utility's name, the bill number, customer, address, meter, previous reading,
tariff, due date, the QR code of the bill's payment link with "Scan to pay once the reading is sent" (the
amount is set once the reading is synced; the printed code never changes), and a box for the agent to write
the new reading and the date by hand. Several bills on a sheet are parted by dashed cut lines.
:mod:`app.ui.bill_render` paints the pages (PDF, images) with the pieces the counter sticker is made of
(:mod:`app.qr.printlayout`).

Only a payload that decodes without errors is printed (ValueError naming the bill otherwise): what the
customer scans must be what the utility charges. Long texts are wrapped or elided to stay inside the bill's
rectangle. Words, numbers and dates are the store's language and formats (app.i18n), in force when laid out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.i18n import _, decimal_symbol, format_date, lazy_, ngettext, pgettext
from app.qr.printlayout import Align, Box, Line, QrBlock, Text, elide, fit, printable, wrap
from app.qr.render import qr_matrix

A4_MM = (210.0, 297.0)
PER_PAGE = (1, 2, 4)
#: The QR code (quiet zone included) is never smaller than this, so a phone scans it from paper.
MIN_QR_MM = 32.0
SCAN_WORDS = lazy_("Scan to pay once the reading is sent")
BAND = "#1F3A5F"  # the header band behind the utility's name
GREY = "#555555"
_ADDRESS_LINES = 3
_CUSTOMER_LINES = 2
#: Lines are fitted to this share of their room: the width estimate runs a few per cent short of DejaVu Sans.
_ROOM = 0.92


@dataclass(frozen=True)
class PrintedBill:
    """What one printed bill shows. ``due_days``: the tariff's days from the reading to the due date, said
    when the bill has no ``due_date`` of its own."""

    bill_id: str
    customer: str
    address: str
    meter_id: str
    previous_reading: Decimal
    tariff_label: str
    due_date: date | None
    payload: str
    store_name: str
    due_days: int | None = None


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def holds(self, x: float, y: float, w: float, h: float, slack: float = 1e-6) -> bool:
        """Whether the rectangle (``x``, ``y``, ``w``, ``h``) lies inside this one."""
        return (
            x >= self.x - slack
            and y >= self.y - slack
            and x + w <= self.x + self.w + slack
            and y + h <= self.y + self.h + slack
        )


@dataclass(frozen=True)
class BillArea:
    """One bill on a sheet: everything it draws lies inside ``rect``."""

    bill: PrintedBill
    rect: Rect
    boxes: tuple[Box, ...]
    texts: tuple[Text, ...]
    qr: QrBlock

    def text(self, role: str) -> list[str]:
        return [t.text for t in self.texts if t.role == role]


@dataclass(frozen=True)
class Page:
    """One A4 sheet (portrait, mm): its bills in reading order and the cut lines between them."""

    width: float
    height: float
    per_page: int
    bills: tuple[BillArea, ...]
    lines: tuple[Line, ...] = ()
    marks: tuple[Text, ...] = ()

    @property
    def boxes(self) -> list[Box]:
        return [b for area in self.bills for b in area.boxes]

    @property
    def texts(self) -> list[Text]:
        return [*self.marks, *(t for area in self.bills for t in area.texts)]

    @property
    def qrs(self) -> list[QrBlock]:
        return [area.qr for area in self.bills]


def plain_number(value: Decimal) -> str:
    """``value`` as the store's locale writes a meter's number (no grouping, its decimal mark: "4821,5" in
    pt_BR), never in exponent form ("1E+3" is "1000")."""
    return f"{value:f}".replace(".", decimal_symbol())


def due_words(bill: PrintedBill) -> str:
    if bill.due_date is not None:
        return format_date(bill.due_date)
    if bill.due_days is not None:
        return ngettext("{n} day after the reading", "{n} days after the reading", bill.due_days).format(
            n=bill.due_days
        )
    return _("set when the meter is read")


def _clean(text: str) -> str:
    """One line of printable characters (a newline or tab typed in a CSV cell becomes a space)."""
    return "".join(c for c in " ".join(text.split()) if c.isprintable())


def _checked(bill: PrintedBill) -> PrintedBill:
    what = f"bill {bill.bill_id!r}"
    printable(bill.payload, what)
    if not _clean(bill.bill_id):
        raise ValueError(
            _("refusing to print a bill without a number (customer {customer})").format(customer=repr(bill.customer))
        )
    if not _clean(bill.store_name):
        raise ValueError(_("refusing to print bill {bill} without the utility's name").format(bill=repr(bill.bill_id)))
    return bill


class _Writer:
    """Texts and boxes of one bill, in the bill's scale ``s`` (1 at four a sheet)."""

    def __init__(self, rect: Rect, s: float):
        self.rect, self.s = rect, s
        self.texts: list[Text] = []
        self.boxes: list[Box] = []

    @staticmethod
    def size(text: str, size: float, width: float, bold: bool) -> float:
        """``size``, or up to a fifth smaller for ``text`` to fit in ``width``."""
        return max(size * 0.8, fit(text, size, width * _ROOM, bold))

    def line(
        self,
        text: str,
        x: float,
        y: float,
        size: float,
        width: float,
        *,
        role: str,
        bold: bool = False,
        color: str = "#000000",
        align: Align = Align.LEFT,
    ) -> None:
        """One line of at most ``width`` mm: shrunk a little, then elided. ``x`` its left end (or middle)."""
        size = self.size(text, size, width, bold)
        shown = elide(text, size, width * _ROOM, bold)
        self.texts.append(Text(shown, x, y, size, color, bold, role, None, width, align))

    def header(self, bill: PrintedBill) -> float:
        """The band with the utility's name and the bill number under it; the y below them."""
        r, s = self.rect, self.s
        self.boxes.append(Box(r.x, r.y, r.w, 12 * s, BAND))
        name, room = _clean(bill.store_name), r.w - 6 * s
        baseline = r.y + 6 * s + 0.36 * self.size(name, 5.2 * s, room, True)  # the capitals centred in the band
        self.line(name, r.x + 3 * s, baseline, 5.2 * s, room, role="store", bold=True, color="#FFFFFF")
        self.line(
            _("Bill {bill}").format(bill=_clean(bill.bill_id)), r.x, r.y + 20 * s, 4.6 * s, r.w, role="bill", bold=True
        )
        return r.y + 22.5 * s

    def details(self, bill: PrintedBill, x: float, y: float, width: float) -> float:
        """The label / value rows from ``y`` (the top of the first); the y below the last."""
        s = self.s
        label_w = 29 * s
        value_x, value_w = x + label_w, width - label_w
        rows: list[tuple[str, list[str], str]] = [
            (
                pgettext("printed bill", "Customer"),
                wrap(_clean(bill.customer), 3.4 * s, value_w * _ROOM, _CUSTOMER_LINES),
                "customer",
            ),
            (
                pgettext("printed bill", "Address"),
                wrap(_clean(bill.address), 3.4 * s, value_w * _ROOM, _ADDRESS_LINES),
                "address",
            ),
            (pgettext("printed bill", "Meter"), [_clean(bill.meter_id)], "meter"),
            (pgettext("printed bill", "Previous reading"), [plain_number(bill.previous_reading)], "previous"),
            (pgettext("printed bill", "Tariff"), [_clean(bill.tariff_label)], "tariff"),
            (pgettext("printed bill", "Due date"), [due_words(bill)], "due"),
        ]
        for label, values, role in rows:
            y += 5.2 * s
            self.line(label, x, y, 2.7 * s, label_w - 2 * s, role="label", color=GREY)
            for i, value in enumerate(values or [""]):
                self.line(value, value_x, y + i * 4.4 * s, 3.4 * s, value_w, role=role)
            y += (max(1, len(values)) - 1) * 4.4 * s
        return y + 2 * s

    def scan(self, qr_x: float, qr_y: float, q: float, payload: str, middle: float, width: float) -> QrBlock:
        """The QR code at (``qr_x``, ``qr_y``), ``q`` mm, and the words under it, centred on ``middle``."""
        self.line(
            str(SCAN_WORDS), middle, qr_y + q + 4.6 * self.s, 3.4 * self.s, width, role="scan", align=Align.CENTER
        )
        return QrBlock(qr_x, qr_y, q, qr_matrix(payload))

    def reading_box(self, x: float, y: float, width: float, height: float) -> None:
        """The box the agent writes the new reading and the date in."""
        s = self.s
        split = x + width * 0.62
        self.boxes.append(Box(x, y, width, height, "#000000", stroke=0.35))
        self.boxes.append(Box(split, y, 0.3, height, "#000000"))
        self.line(
            pgettext("printed bill", "New reading"),
            x + 2 * s,
            y + 4.2 * s,
            2.9 * s,
            split - x - 4 * s,
            role="reading",
            bold=True,
        )
        self.line(
            pgettext("printed bill", "Date"),
            split + 2 * s,
            y + 4.2 * s,
            2.9 * s,
            x + width - split - 4 * s,
            role="date",
            bold=True,
        )


_SCAN_SPACE = 7.5  # mm (times the scale) the words under the QR take


def _stacked(bill: PrintedBill, rect: Rect, s: float) -> BillArea:
    """A tall bill: header, details, the QR centred with its words, the reading box at the bottom."""
    out = _Writer(rect, s)
    y = out.details(bill, rect.x, out.header(bill), rect.w)
    box_h = 20 * s
    box_y = rect.y + rect.h - box_h
    free_top, free_bottom = y + 2 * s, box_y - _SCAN_SPACE * s - 3 * s
    q = min(free_bottom - free_top, rect.w * 0.62, 100.0)
    qr_y = free_top + (free_bottom - free_top - q) / 2
    qr = out.scan(rect.x + (rect.w - q) / 2, qr_y, q, bill.payload, rect.x + rect.w / 2, rect.w)
    out.reading_box(rect.x, box_y, rect.w, box_h)
    return BillArea(bill, rect, tuple(out.boxes), tuple(out.texts), qr)


def _side_by_side(bill: PrintedBill, rect: Rect, s: float) -> BillArea:
    """A wide bill: header across; details and the reading box on the left, the QR and its words right."""
    out = _Writer(rect, s)
    top = out.header(bill)
    qr_col = rect.w * 0.42
    left_w = rect.w - qr_col - 6 * s
    out.details(bill, rect.x, top, left_w)
    box_h = 20 * s
    out.reading_box(rect.x, rect.y + rect.h - box_h, left_w, box_h)
    free_top, free_bottom = rect.y + 14 * s, rect.y + rect.h - _SCAN_SPACE * s
    q = min(free_bottom - free_top, qr_col, 100.0)
    middle = rect.x + rect.w - qr_col / 2
    qr_y = free_top + (free_bottom - free_top - q) / 2
    qr = out.scan(middle - q / 2, qr_y, q, bill.payload, middle, qr_col)
    return BillArea(bill, rect, tuple(out.boxes), tuple(out.texts), qr)


#: per sheet -> (columns, rows, margin inside a cell in mm, the scale of the texts)
_GRID: dict[int, tuple[int, int, float, float]] = {1: (1, 1, 15.0, 1.45), 2: (1, 2, 9.0, 1.1), 4: (2, 2, 7.0, 1.0)}


def _cut_lines(columns: int, rows: int) -> tuple[tuple[Line, ...], tuple[Text, ...]]:
    width, height = A4_MM
    lines: list[Line] = []
    marks: list[Text] = []
    scissors = "✂"  # left out where no font has it
    for c in range(1, columns):
        x = width * c / columns
        lines.append(Line(x, 4.0, x, height - 4.0, "#888888", 0.25, dashed=True))
        marks.append(Text(scissors, x, 9.0, 4.0, "#888888", role="cut", fallback="", width=5.0))
    for r in range(1, rows):
        y = height * r / rows
        lines.append(Line(4.0, y, width - 4.0, y, "#888888", 0.25, dashed=True))
        marks.append(Text(scissors, 3.0, y + 1.4, 4.0, "#888888", role="cut", fallback="", width=5.0))
    return tuple(lines), tuple(marks)


def layout_pages(bills: Sequence[PrintedBill], per_page: int = 1) -> list[Page]:
    """The bills on A4 sheets, ``per_page`` (1, 2 or 4) a sheet in reading order. ValueError for another
    ``per_page``, or naming the first bill whose payload has errors or that has no number or utility name."""
    if per_page not in PER_PAGE:
        raise ValueError(_("bills per page must be 1, 2 or 4, not {n}").format(n=per_page))
    checked = [_checked(b) for b in bills]
    columns, rows, margin, s = _GRID[per_page]
    cell_w, cell_h = A4_MM[0] / columns, A4_MM[1] / rows
    lines, marks = _cut_lines(columns, rows) if per_page > 1 else ((), ())
    pages: list[Page] = []
    for start in range(0, len(checked), per_page):
        areas = []
        for i, bill in enumerate(checked[start : start + per_page]):
            col, row = i % columns, i // columns
            rect = Rect(col * cell_w + margin, row * cell_h + margin, cell_w - 2 * margin, cell_h - 2 * margin)
            areas.append((_side_by_side if rect.w > rect.h else _stacked)(bill, rect, s))
        pages.append(Page(A4_MM[0], A4_MM[1], per_page, tuple(areas), lines, marks))
    return pages
