"""The printed counter sticker: the QR code with its quiet zone, the store's name, "scan to pay" in
the store's language and the scheme's text mark (no logos). Qt-free.

:func:`layout` turns a payload into a :class:`Sticker`: boxes, texts and the QR block placed in
millimetres on a 100 x 150 mm card (A6-ish, fits a counter stand). :func:`to_svg` writes it as
SVG by hand (text left to the viewer's fonts, QR as one crisp path of whole modules). PNG and PDF
need real fonts and text shaping (Devanagari, Chinese), which only Qt offers among TillQR's
dependencies, so they are painted from the same layout by :mod:`app.ui.sticker_render` (the one
place, under ``app/ui``, that imports Qt for this); the command line calls it lazily.

A sticker is only made for a payload that decodes without errors: what the customer scans must
be what the store meant to charge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from app.domain.money import NUMERIC_CODES
from app.i18n import LanguageError, _, format_money
from app.qr.printlayout import FONT_FAMILIES, Box, QrBlock, Text, fit, printable
from app.qr.render import QrMatrix, dark_runs, qr_matrix
from app.qr.sticker_words import PIX_KEY, SCAN, UPI_ID, ScanToPay, say, store_language

#: "Scan to pay" in the languages TillQR's markets speak (the store's language picks one; "en/hi" prints two lines).
SCAN_TO_PAY = ScanToPay()
#: The language a scheme's stickers speak unless the store says otherwise.
DEFAULT_LANG: dict[str, str] = {"pix": "pt", "paynow": "en", "fps": "en", "upi": "en/hi", "emv": "en"}
#: The scheme's logo-free text mark, its band colour, and what to print when no font can draw it all.
MARKS: dict[str, tuple[str, str, str]] = {
    "pix": ("Pix", "#32BCAD", "Pix"),
    "paynow": ("PayNow", "#7C1A78", "PayNow"),
    "fps": ("FPS 轉數快", "#C8102E", "FPS"),
    "upi": ("UPI", "#0B7A3B", "UPI"),
    "emv": ("QR", "#333333", "QR"),
}
_CURRENCY = {"986": ("R$", 2), "702": ("S$", 2), "344": ("HK$", 2), "156": ("CNY", 2), "356": ("₹", 2)}
_COMMA_DECIMALS = {"pt", "es", "fr", "de"}
_ALPHA = {numeric: alpha for alpha, numeric in NUMERIC_CODES.items()}
_LOCALES = {"pt": "pt_BR", "zh-hk": "zh_Hant_HK", "zh": "zh_Hans_CN"}  # a sticker language → its Babel locale


@dataclass(frozen=True)
class _Shown:
    """An amount as ``format_money`` reads it (``app.i18n.Amount``)."""

    amount: Decimal
    currency: str
    digits: int


WIDTH_MM = 100.0
MARGIN_MM = 6.0
HEIGHT_MM = 150.0


@dataclass(frozen=True)
class Sticker:
    payload: str
    scheme: str
    width: float
    height: float
    boxes: list[Box] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    qr: QrBlock | None = None

    def text(self, role: str) -> list[str]:
        return [t.text for t in self.texts if t.role == role]


def languages(lang: str | None, scheme: str) -> list[str]:
    """The sticker's languages from ``--lang`` ("pt", "en/hi", ...), else the store's (first, when the scheme's
    default pair has it: "hi/en" for UPI), else the scheme's default."""
    default = DEFAULT_LANG.get(scheme, "en").split("/")
    store = store_language()
    if not lang and store is not None:
        default = [store, *(d for d in default if d != store)] if store in default else [store]
    wanted = [p.strip().lower() for p in (lang or "/".join(default)).replace(",", "/").split("/")]
    wanted = [w for w in wanted if w]
    unknown = [w for w in wanted if w not in SCAN_TO_PAY]
    if unknown or not wanted:
        raise ValueError(
            _("unknown sticker language {lang}: use one or two of {languages} (e.g. en/hi)").format(
                lang=", ".join(unknown) or repr(lang), languages=", ".join(SCAN_TO_PAY)
            )
        )
    return wanted[:2]


def _amount(fields: dict[str, Any], lang: str) -> str | None:
    value = fields.get("54") if "00" in fields else fields.get("am")
    if not isinstance(value, str) or not value:
        return None
    code = fields.get("53") if "00" in fields else "356"
    symbol, decimals = _CURRENCY.get(str(code), (str(code), 2))
    try:
        amount = Decimal(value).quantize(Decimal(1).scaleb(-decimals))
        text = f"{amount:.{decimals}f}"
    except ArithmeticError:
        return None
    alpha = _ALPHA.get(str(code))
    if alpha is not None and amount.is_finite():
        try:  # the sticker language's own form, from Babel: "R$ 12,50", "₹1,250.00", "S$12.50"
            return format_money(_Shown(amount, alpha, decimals), _LOCALES.get(lang, lang))
        except LanguageError:
            pass  # a language whose CLDR data is not shipped (the bundle keeps TillQR's own): the plain form
    if lang in _COMMA_DECIMALS:
        text = text.replace(".", ",")
    return f"{symbol} {text}"


def _account(scheme: str, fields: dict[str, Any], lang: str) -> str | None:
    """The payee as a person would type it if the camera fails (Pix key, PayNow proxy, FPS ID, VPA)."""
    if "pa" in fields:
        return say(UPI_ID, lang).format(id=fields["pa"])
    templates = {t: v for t, v in fields.items() if "26" <= t <= "51" and isinstance(v, dict)}
    for template in templates.values():
        gui = template.get("00", "").lower()
        if gui == "br.gov.bcb.pix" and "01" in template:
            return say(PIX_KEY, lang).format(key=template["01"])
        if gui == "sg.paynow" and "02" in template:
            return ("UEN " if template.get("01") == "2" else "PayNow ") + template["02"]
        if gui == "hk.com.hkicl":
            for sub, label in (("02", "FPS ID"), ("03", "FPS"), ("04", "FPS")):
                if sub in template:
                    return f"{label} {template[sub]}"
        if gui == "a000000524" and "@" in template.get("01", ""):
            return say(UPI_ID, lang).format(id=template["01"])
    return None


def layout(payload: str, *, store_name: str | None = None, lang: str | None = None) -> Sticker:
    """Place everything on the card. Raises ValueError for a payload that does not decode cleanly,
    an unknown language, or no store name (neither given nor in the payload)."""
    decoded = printable(payload, _("a sticker"))
    scheme, fields = decoded.scheme, decoded.fields
    langs = languages(lang, scheme)
    name = " ".join((store_name if store_name is not None else str(fields.get("59") or fields.get("pn") or "")).split())
    if not name:
        raise ValueError(_("the sticker needs the store's name (--name)"))
    if not name.isprintable():
        raise ValueError(_("the store's name has a control character (typed by mistake?)"))
    mark, color, mark_fallback = MARKS.get(scheme, MARKS["emv"])
    width, margin = WIDTH_MM, MARGIN_MM
    usable = width - 2 * margin
    boxes = [Box(0, 0, width, 24, color)]
    texts = [
        Text(
            mark,
            width / 2,
            16.2,
            fit(mark, 11, usable, True),
            "#FFFFFF",
            True,
            "mark",
            mark_fallback if mark_fallback != mark else None,
            width=usable,
        )
    ]
    lines: list[tuple[float, str, float, str, bool, str, str | None]] = []  # advance, text, size, color, ...
    lines.append((6.5, name, fit(name, 8.0, usable, True), "#000000", True, "name", None))
    amount = _amount(fields, langs[0])
    if amount:
        lines.append((8.5, amount, fit(amount, 6.5, usable, True), "#000000", True, "amount", None))
    for i, code in enumerate(langs):
        phrase = say(SCAN, code)
        # the first language must stay; a second one is left out where no font can draw it
        lines.append(
            (8.0 if i == 0 else 6.8, phrase, fit(phrase, 5.4, usable), "#222222", False, "call", None if i == 0 else "")
        )
    account = _account(scheme, fields, langs[0])
    if account:
        lines.append((6.5, account, fit(account, 3.4, usable), "#555555", False, "account", None))
    qr_top, bottom = 27.0, 5.5
    qr_size = max(60.0, min(84.0, HEIGHT_MM - qr_top - bottom - sum(line[0] for line in lines)))
    qr = QrBlock((width - qr_size) / 2, qr_top, qr_size, qr_matrix(payload))
    y = qr.y + qr.size
    for advance, text, size, color, bold, role, fallback in lines:
        y += advance
        texts.append(Text(text, width / 2, y, size, color, bold, role, fallback, width=usable))
    height = max(HEIGHT_MM, round(y + bottom, 1))
    return Sticker(payload, scheme, width, height, boxes, texts, qr)


def _qr_path(matrix: QrMatrix, border: int) -> str:
    return "".join(
        f"M{start + border} {r + border}h{end - start}v1h-{end - start}z"
        for r, row in enumerate(matrix)
        for start, end in dark_runs(row)
    )


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def to_svg(sticker: Sticker) -> str:
    """The sticker as a standalone SVG document (millimetre units; the payload in ``<desc>``)."""
    w, h = _num(sticker.width), _num(sticker.height)
    family = ", ".join(f"'{f}'" if " " in f else f for f in FONT_FAMILIES)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">',
        f"<title>{escape(sticker.scheme.upper())}: {escape(' / '.join(sticker.text('name')))}</title>",
        f"<desc>{escape(sticker.payload)}</desc>",
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="#FFFFFF"/>',
    ]
    for b in sticker.boxes:
        out.append(f'<rect x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" height="{_num(b.h)}" fill="{b.color}"/>')
    qr = sticker.qr
    if qr is not None:
        module = qr.size / qr.modules
        out.append(f'<g transform="translate({_num(qr.x)} {_num(qr.y)}) scale({module:.6f})">')
        out.append(f'<rect x="0" y="0" width="{qr.modules}" height="{qr.modules}" fill="#FFFFFF"/>')
        out.append(f'<path d="{_qr_path(qr.matrix, qr.border)}" fill="#000000" shape-rendering="crispEdges"/>')
        out.append("</g>")
    for t in sticker.texts:
        weight = ' font-weight="bold"' if t.bold else ""
        out.append(
            f'<text x="{_num(t.x)}" y="{_num(t.y)}" font-family="{escape(family)}" '
            f'font-size="{_num(t.size)}"{weight} fill="{t.color}" text-anchor="middle">{escape(t.text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
