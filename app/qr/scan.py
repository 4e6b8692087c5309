"""Reading a QR code out of an image, then zxing-cpp.

The PNG forms QR images usually come in (non-interlaced, 1–8 bits a sample, grey, palette,
RGB(A)) are decoded here with ``zlib``; anything else a provider may serve (an interlaced or
16-bit PNG, a JPEG, a GIF, a WebP) through Pillow (``read_qr_image``).

zxing-cpp and Pillow are imported only when an image is read: the provider that serves QR images
(Razorpay) imports this module, and the till's start path must not load either.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import TYPE_CHECKING

from app.i18n import _

if TYPE_CHECKING:
    import zxingcpp

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class NoQrCode(ValueError):
    """The image was read, but it holds no QR code (the message is for people)."""


def _unfilter(kind: int, row: bytearray, prev: bytes, bpp: int) -> None:
    if kind == 2:
        row[:] = bytes((a + b) & 255 for a, b in zip(row, prev))
    elif kind in (1, 3, 4):
        for i in range(len(row)):
            a, b, c = (row[i - bpp] if i >= bpp else 0), prev[i], (prev[i - bpp] if i >= bpp else 0)
            if kind == 1:
                guess = a
            elif kind == 3:
                guess = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)  # Paeth
                guess = a if pa <= pb and pa <= pc else b if pb <= pc else c
            row[i] = (row[i] + guess) & 255
    elif kind != 0:
        raise ValueError(f"unknown PNG filter {kind}")


def png_pixels(data: bytes) -> tuple[bytes, int, int, zxingcpp.ImageFormat]:
    """A non-interlaced PNG of 1–8 bits a sample as 8-bit Lum/LumA/RGB/RGBA pixels, with the standard library."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    chunks: dict[bytes, bytes] = {}
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks[kind] = chunks.get(kind, b"") + data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    header = chunks.get(b"IHDR", b"").ljust(13, b"\0")[:13]
    width, height, depth, color, _compression, _filter, interlace = struct.unpack(">IIBBBBB", header)
    channels, palette = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color, 0), chunks.get(b"PLTE", b"")
    if (
        not channels
        or interlace
        or depth not in (1, 2, 4, 8)
        or (depth < 8 and color not in (0, 3))
        or (color == 3 and not palette)
        or not 0 < width * height <= 16_000_000
    ):
        raise ValueError(f"unsupported PNG (colour type {color}, depth {depth}, interlace {interlace})")
    raw = zlib.decompress(chunks.get(b"IDAT", b""))
    stride, bpp = (width * channels * depth + 7) // 8, max(1, channels * depth // 8)
    if len(raw) < height * (stride + 1):
        raise ValueError("truncated PNG")
    out, prev = bytearray(), bytes(stride)
    for y in range(height):
        row = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        _unfilter(raw[y * (stride + 1)], row, prev, bpp)
        prev = bytes(row)
        if depth < 8:  # one sample a byte, scaled to 0–255 for grey (palette indexes stay)
            mask = (1 << depth) - 1
            row = bytearray((b >> (8 - depth * (k + 1))) & mask for b in row for k in range(8 // depth))[:width]
            if color == 0:
                row = bytearray(v * 255 // mask for v in row)
        out += row
    if color == 3:  # palette index -> its grey
        out = out.translate(
            bytes(
                (299 * r + 587 * g + 114 * b) // 1000 for r, g, b in zip(palette[0::3], palette[1::3], palette[2::3])
            )[:256].ljust(256, b"\0")
        )
    import zxingcpp  # lazy: only when an image is read, never on the till's start path

    F = zxingcpp.ImageFormat
    return bytes(out), width, height, {0: F.Lum, 3: F.Lum, 4: F.LumA, 2: F.RGB, 6: F.RGBA}[color]


def read_qr_png(data: bytes) -> str:
    """The text of the QR code in a PNG; ValueError when there is none."""
    import zxingcpp  # lazy: only when an image is read, never on the till's start path

    pixels, width, height, fmt = png_pixels(data)
    found = zxingcpp.read_barcodes(zxingcpp.ImageView(pixels, width, height, fmt), formats=zxingcpp.QRCode)  # type: ignore[arg-type]  # its stub wants the flags type; one format is taken
    if not found or not found[0].text:
        raise NoQrCode(_("no QR code in the image"))
    return found[0].text


def read_qr_image(data: bytes) -> str:
    """The text of the QR code in an image of any common format; ValueError (in words) otherwise."""
    try:
        return read_qr_png(data)
    except (ValueError, zlib.error, struct.error) as exc:
        if isinstance(exc, NoQrCode):
            raise
        first = exc
    import zxingcpp  # lazy: only when an image is read, never on the till's start path
    from PIL import Image, UnidentifiedImageError  # lazy: only for images that are not plain PNGs

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 16_000_000:
                raise ValueError(
                    _("the image is too large ({width}×{height})").format(width=image.width, height=image.height)
                )
            grey = image.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValueError(
            _("not an image that can be read ({reason}; {error})").format(reason=first, error=type(exc).__name__)
        ) from None
    found = zxingcpp.read_barcodes(grey, formats=zxingcpp.QRCode)  # type: ignore[arg-type]  # its stub wants the flags type; one format is taken
    if not found or not found[0].text:
        raise NoQrCode(_("no QR code in the image"))
    return found[0].text
