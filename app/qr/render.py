"""Rendering payloads as QR codes with segno (no Qt here; the UI paints the matrix itself).

``error`` is the *minimum* error-correction level: segno raises it for free when
the chosen symbol version has room (its ``boost_error``), which only helps
scanning. Payloads are always encoded in byte mode as UTF-8 (the encoding EMV
CRCs are computed over); plain ASCII payloads are therefore identical to the
default QR encoding, and non-ASCII ones are not silently sent as ISO-8859-1.
"""

from __future__ import annotations

import io

import segno

_LEVELS = ("L", "M", "Q", "H")


def _make(payload: str, error: str) -> segno.QRCode:
    if not isinstance(payload, str) or not payload:
        raise ValueError("nothing to encode: the payload is empty")
    level = (error or "").upper()
    if level not in _LEVELS:
        raise ValueError(f"error correction level must be one of L, M, Q, H, not {error!r}")
    encoding = None if payload.isascii() else "utf-8"
    try:
        return segno.make(payload, error=level, micro=False, mode="byte", encoding=encoding)
    except segno.DataOverflowError as exc:
        raise ValueError(f"payload of {len(payload)} characters does not fit in a QR code: {exc}") from exc


def qr_matrix(payload: str, *, error: str = "M") -> list[list[bool]]:
    """The modules of ``payload``'s QR code, row by row; True is dark. No quiet zone."""
    qr = _make(payload, error)
    return [[bool(module) for module in row] for row in qr.matrix_iter(scale=1, border=0)]


def qr_png(payload: str, *, scale: int = 8, border: int = 4, error: str = "M") -> bytes:
    """A PNG of ``payload``'s QR code: ``scale`` pixels a module, ``border`` modules of quiet zone."""
    if scale < 1:
        raise ValueError(f"scale must be at least 1 pixel a module, not {scale}")
    if border < 0:
        raise ValueError(f"border must not be negative, not {border}")
    buffer = io.BytesIO()
    _make(payload, error).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()
