"""Rendering payloads as QR codes with segno (no Qt here; the UI paints the matrix itself).

``error`` is the *minimum* error-correction level: segno raises it for free when
the chosen symbol version has room (its ``boost_error``), which only helps
scanning. Payloads are always encoded in byte mode as UTF-8 (the encoding EMV
CRCs are computed over); plain ASCII payloads are therefore identical to the
default QR encoding, and non-ASCII ones are not silently sent as ISO-8859-1.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import segno

from app.i18n import _

#: A QR code's modules, row by row, as segno keeps them: one ``bytearray`` a row, a byte a module, 0 light,
#: 1 dark; no quiet zone. Painted as it is (no image in between): see :func:`dark_runs`.
QrMatrix = Sequence[bytearray]

_LEVELS = ("L", "M", "Q", "H")


def _make(payload: str, error: str) -> segno.QRCode:
    if not isinstance(payload, str) or not payload:
        raise ValueError(_("nothing to encode: the payload is empty"))
    level = (error or "").upper()
    if level not in _LEVELS:
        raise ValueError(f"error correction level must be one of L, M, Q, H, not {error!r}")
    encoding = None if payload.isascii() else "utf-8"
    try:
        return segno.make(payload, error=level, micro=False, mode="byte", encoding=encoding)
    except segno.DataOverflowError as exc:
        raise ValueError(
            _("payload of {count} characters does not fit in a QR code: {reason}").format(
                count=len(payload), reason=exc
            )
        ) from exc


def qr_matrix(payload: str, *, error: str = "M") -> QrMatrix:
    """The modules of ``payload``'s QR code: segno's own matrix (rows of bytes, 1 dark), not copied.

    Most of the time goes to segno choosing the mask (it scores all eight, as ISO/IEC 18004 asks),
    a few milliseconds a code; the matrix itself is handed over as it is."""
    return _make(payload, error).matrix


def dark_runs(row: bytes | bytearray) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of dark modules in ``row`` (segno's 0 / 1 bytes): one rectangle a run,
    fewer paint calls and no seams; the runs are found with ``bytes.find``, not module by module."""
    width, c = len(row), row.find(1)
    while c >= 0:
        end = row.find(0, c)
        end = width if end < 0 else end
        yield c, end
        c = row.find(1, end) if end < width else -1


def qr_png(payload: str, *, scale: int = 8, border: int = 4, error: str = "M") -> bytes:
    """A PNG of ``payload``'s QR code: ``scale`` pixels a module, ``border`` modules of quiet zone."""
    if scale < 1:
        raise ValueError(f"scale must be at least 1 pixel a module, not {scale}")
    if border < 0:
        raise ValueError(f"border must not be negative, not {border}")
    buffer = io.BytesIO()
    _make(payload, error).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()
