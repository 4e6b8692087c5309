"""Grab a widget (or take an image) as the customer's camera would see it and decode the QR with zxing-cpp."""

from __future__ import annotations

import io
from pathlib import Path

import zxingcpp
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget


def grey(image: QImage) -> Image.Image:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("L")


def grab_image(widget: QWidget) -> Image.Image:
    return grey(widget.grab().toImage())


def read_codes(image: Image.Image) -> list[zxingcpp.Barcode]:
    """Every QR code zxing-cpp finds in ``image``, with its position."""
    return list(zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))


def decode_qr(widget: QWidget, save_to: Path | None = None) -> list[str]:
    """Every QR code's text in the widget's pixels."""
    image = grab_image(widget)
    if save_to is not None:
        image.save(save_to)
    return [r.text for r in read_codes(image)]
