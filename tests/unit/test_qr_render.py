"""Rendering: what the customer scans is exactly the payload (decoded back with zxing-cpp)."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from app.domain.money import Money
from app.qr.render import qr_matrix, qr_png
from app.qr.schemes import pix_dynamic

PAYLOADS = [
    pix_dynamic(
        "pix.example.com/qr/v2/9d36b84fc70b478fb95c12729b90ca25",
        merchant_name="Padaria",
        merchant_city="Sao Paulo",
        amount=Money.parse("12.50", "BRL"),
    ),
    "upi://pay?pa=shop@okbank&pn=Corner%20Shop&am=12.50&cu=INR",
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME"
    "91320016A0112233449988770708123456786304A13A",
]


def _scan(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_png_decodes_to_the_exact_payload(payload: str) -> None:
    png = qr_png(payload)
    assert png.startswith(b"\x89PNG")
    assert _scan(Image.open(io.BytesIO(png))) == [payload]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_matrix_has_no_quiet_zone_and_scans_once_painted(payload: str) -> None:
    m = qr_matrix(payload)
    n = len(m)
    assert n >= 21 and (n - 17) % 4 == 0 and all(len(row) == n for row in m)
    # finder pattern in the top-left corner: dark ring 7x7 starting at (0, 0)
    assert all(m[0][:7]) and all(m[6][:7]) and all(m[r][0] for r in range(7))
    assert not m[1][1] and m[3][3]
    # paint it like the UI does: a 4-module quiet zone, 6 pixels a module
    scale, border = 6, 4
    size = (n + 2 * border) * scale
    img = Image.new("L", (size, size), 255)
    for r, row in enumerate(m):
        for c, dark in enumerate(row):
            if dark:
                x, y = (c + border) * scale, (r + border) * scale
                img.paste(0, (x, y, x + scale, y + scale))
    assert _scan(img) == [payload]


def test_png_scale_and_border() -> None:
    p = PAYLOADS[0]
    n = len(qr_matrix(p))
    img = Image.open(io.BytesIO(qr_png(p, scale=3, border=2)))
    assert img.size == ((n + 4) * 3, (n + 4) * 3)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        qr_matrix("")
    with pytest.raises(ValueError):
        qr_matrix("x", error="Z")
    with pytest.raises(ValueError):
        qr_png("x", scale=0)
    with pytest.raises(ValueError, match="does not fit"):
        qr_png("x" * 5000)
