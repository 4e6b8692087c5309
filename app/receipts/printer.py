"""Where receipts and reports are printed: the ``[printer]`` setting, read into types (Qt-free).

    [printer]
    kind = "none"        # none | pdf | escpos | system
    width_mm = 80        # 58 or 80: the paper roll (32 or 48 characters a line at font A)
    target = ""          # escpos: a device file (/dev/usb/lp0) or host:port (port 9100 if left out);
                         # system: the printer's name ("" = the system's default printer);
                         # pdf: the folder receipts are written to ("" = the data folder's receipts/)

``none`` keeps the till as it was: no receipt is printed at the counter, and the Journal still saves a
receipt as PDF. In demo mode ``none`` prints to PDF files (:func:`effective_kind`), so a demo shows receipts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from app.i18n import _

#: characters a line at font A, by paper width in mm
CHARS_PER_LINE = {58: 32, 80: 48}
DEFAULT_PORT = 9100


class PrinterKind(str, enum.Enum):
    NONE = "none"
    PDF = "pdf"
    ESCPOS = "escpos"
    SYSTEM = "system"


@dataclass(frozen=True)
class DeviceTarget:
    """A printer the system shows as a file (``/dev/usb/lp0``, a serial port's device), or any file."""

    path: Path


@dataclass(frozen=True)
class NetworkTarget:
    """A network thermal printer's raw port (JetDirect, 9100)."""

    host: str
    port: int = DEFAULT_PORT


EscposTarget = DeviceTarget | NetworkTarget


@dataclass(frozen=True)
class PrinterConfig:
    kind: PrinterKind = PrinterKind.NONE
    width_mm: int = 80
    target: str = ""

    @property
    def chars(self) -> int:
        return CHARS_PER_LINE[self.width_mm]


def target_problem(kind: str, width_mm: int, target: str) -> str | None:
    """What is wrong with a ``[printer]`` setting, in words naming its key; None when it can be used."""
    kinds = [k.value for k in PrinterKind]
    if kind not in kinds:
        return _("printer.kind must be one of {kinds}, not {kind}").format(kinds=", ".join(kinds), kind=repr(kind))
    if width_mm not in CHARS_PER_LINE:
        return _("printer.width_mm must be 58 or 80 (the paper roll's width), not {width}").format(width=width_mm)
    if kind == PrinterKind.ESCPOS.value:
        if not target.strip():
            return _("printer.target must say where the receipt printer is: /dev/usb/lp0, or host:port")
        try:
            escpos_target(target)
        except ValueError as exc:
            return str(exc)
    return None


def escpos_target(target: str) -> EscposTarget:
    """The receipt printer ``target`` names: a path (starts with ``/``, ``.`` or ``~``, or a Windows ``COM1``,
    ``LPT1``, ``\\\\server\\printer``) or ``host[:port]``; ValueError in words when it is neither."""
    text = target.strip()
    if text.startswith(("/", ".", "~", "\\\\")) or text.upper().startswith(("COM", "LPT")):
        return DeviceTarget(Path(text).expanduser())
    host, _colon, port = text.rpartition(":") if ":" in text else (text, "", str(DEFAULT_PORT))
    if not host or any(c.isspace() or c in "/@[]" for c in host) or len(host) > 253:
        raise ValueError(
            _("printer.target must be a device like /dev/usb/lp0 or host:port, not {target}").format(target=repr(text))
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            _("printer.target's port must be a number from 1 to 65535, not {port}").format(port=repr(port))
        )
    return NetworkTarget(host, int(port))


def effective_kind(config: PrinterConfig, *, demo: bool) -> PrinterKind:
    """Where a receipt goes: as configured, but a demo with no printer prints to PDF."""
    return PrinterKind.PDF if demo and config.kind is PrinterKind.NONE else config.kind


def pdf_folder(config: PrinterConfig, data_dir: Path) -> Path:
    """The folder PDF receipts are written to: ``target``, or the data folder's ``receipts/``."""
    if config.kind is PrinterKind.PDF and config.target.strip():
        return Path(config.target.strip()).expanduser()
    return data_dir / "receipts"
