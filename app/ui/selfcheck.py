"""The Qt half of ``tillqr self-test`` (app/commands/selftest.py): platform, binding sanity, QR paint + decode."""

from __future__ import annotations

import os
import sys

from app.i18n import _


def qt_app():
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication  # lazy: self-test: importing it is the check

    return QGuiApplication.instance() or QGuiApplication(["tillqr-self-test"])


def qt_info() -> str:
    from PySide6 import __version__  # lazy: self-test: importing it is the check

    app = qt_app()
    return f"PySide6 {__version__}, platform {app.platformName()}"


def qt_refcounts() -> str:
    """Qt-for-Python 6.12.0 drops a reference to None on every void call: the kiosk would abort in use."""
    from PySide6.QtGui import QColor  # lazy: self-test: importing it is the check

    qt_app()
    color = QColor("black")
    before = sys.getrefcount(None)
    for _call in range(200):
        color.setRed(1)
    lost = before - sys.getrefcount(None)
    if lost > 50:
        raise AssertionError(
            _(
                "this PySide6 release loses references to None ({lost} in 200 calls); "
                "install another release (pyproject.toml excludes 6.12.0)"
            ).format(lost=lost)
        )
    return _("void calls keep their references")


def qr_round_trip() -> str:
    """A payload painted by Qt the way the counter paints it, decoded back by zxing-cpp."""
    import zxingcpp  # lazy: self-test: importing it is the check
    from PySide6.QtGui import QColor, QImage, QPainter  # lazy: self-test: importing it is the check

    from app.qr.emv import decode  # lazy: self-test: importing it is the check
    from app.qr.render import qr_matrix  # lazy: self-test: importing it is the check
    from app.qr.schemes import pix_dynamic  # lazy: self-test: importing it is the check

    qt_app()
    payload = pix_dynamic("pix.sandbox.tillqr.dev/self-test", merchant_name="TillQR", merchant_city="SAO PAULO")
    matrix = qr_matrix(payload)
    scale, border = 6, 4
    size = (len(matrix) + 2 * border) * scale
    img = QImage(size, size, QImage.Format.Format_Grayscale8)
    img.fill(QColor("white"))
    painter = QPainter(img)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.fillRect((x + border) * scale, (y + border) * scale, scale, scale, QColor("black"))
    painter.end()
    found = zxingcpp.read_barcodes(img)
    if not found or found[0].text != payload:
        raise AssertionError(_("the painted QR did not decode back to its payload"))
    if not decode(found[0].text).valid:
        raise AssertionError(_("the decoded payload is not a valid EMV QR"))
    return _("{n}×{n} modules, decoded back").format(n=len(matrix))
