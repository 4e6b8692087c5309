"""Guards against a Qt-for-Python release that miscounts references.

PySide6/shiboken6 6.12.0 drops one reference to None on every call of a method returning void; on
Python 3.11 (None is not immortal) the kiosk then aborts with "deallocating None" after some thousands
of paints. pyproject.toml excludes that release; this test fails on any release that does it again.
"""

import sys

from PySide6.QtGui import QColor, QImage, QPainter


def test_void_calls_keep_none_alive(qapp):
    img = QImage(64, 64, QImage.Format.Format_RGB32)
    painter = QPainter(img)
    color = QColor("black")
    try:
        before = sys.getrefcount(None)
        for _ in range(500):
            painter.fillRect(1, 2, 3, 4, color)
            color.setRed(1)
        after = sys.getrefcount(None)
    finally:
        painter.end()
    assert after - before > -100, f"None lost {before - after} references over 1000 void Qt calls"
