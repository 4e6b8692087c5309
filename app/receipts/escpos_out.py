"""Receipt lines to a thermal receipt printer in ESC/POS, through python-escpos (Qt-free).

The printer is initialised (ESC @), the lines are sent as text in the printer's code page (python-escpos picks
one per character it can encode), an optional QR code is printed by the printer itself (GS ( k: crisp at any
dot density, no image sent), then the paper is fed and cut (GS V). :func:`escpos_bytes` gives those bytes
without a printer; :func:`send` writes them to a device file or a network printer's raw port.

python-escpos is imported only when printing (``# lazy``): it pulls in Pillow, qrcode and python-barcode at
import time, which a till that never prints need not load.

Calls block (a device write, a socket): callers on an event loop run them in a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.i18n import _

from .printer import DeviceTarget, EscposTarget

if TYPE_CHECKING:
    from escpos.escpos import Escpos

PROFILE = "default"  # python-escpos's generic printer profile: font A, 48 or 32 columns by paper
NETWORK_TIMEOUT_S = 10.0


log = logging.getLogger("tillqr.receipts")


class PrintFailed(Exception):
    """The receipt could not be printed; the message says where and why, in words."""


def _write(printer: Escpos, lines: Sequence[str], qr: str | None) -> None:
    printer.hw("INIT")
    for line in lines:
        printer.textln(line)
    if qr:
        printer.set(align="center")
        printer.qr(qr, size=4, native=True)
        printer.set(align="left")
    printer.cut()


def escpos_bytes(lines: Sequence[str], qr: str | None = None) -> bytes:
    """The ESC/POS bytes of ``lines`` (and ``qr``): what :func:`send` writes; PrintFailed when the ESC/POS driver
    cannot be loaded (an installation missing part of python-escpos)."""
    try:
        from escpos.printer import Dummy  # lazy: python-escpos and its image stack only when printing
    except (ImportError, OSError) as exc:
        log.error("python-escpos cannot be loaded", exc_info=True)
        raise PrintFailed(
            _("the receipt printer's driver is missing from this installation; reinstall TillQR")
        ) from exc

    dummy = Dummy(profile=PROFILE)
    _write(dummy, lines, qr)
    return bytes(dummy.output)


def send(lines: Sequence[str], target: EscposTarget, qr: str | None = None) -> None:
    """Print ``lines`` on the receipt printer at ``target``; PrintFailed in words when it cannot."""
    data = escpos_bytes(lines, qr)  # built first: a bad text never leaves half a receipt in the printer
    from escpos.exceptions import Error as EscposError  # lazy: as above (loaded by escpos_bytes already)
    from escpos.printer import File, Network  # lazy: as above

    where = str(target.path) if isinstance(target, DeviceTarget) else f"{target.host}:{target.port}"
    printer: Escpos
    if isinstance(target, DeviceTarget) and target.path.is_dir():
        raise PrintFailed(
            _("{where} is a folder, not the receipt printer's device: set the printer in Settings").format(where=where)
        )
    if isinstance(target, DeviceTarget):
        printer = File(str(target.path), profile=PROFILE)
    else:
        printer = Network(target.host, target.port, timeout=NETWORK_TIMEOUT_S, profile=PROFILE)
    try:
        printer.open()
        printer._raw(data)
    except EscposError as exc:
        raise PrintFailed(
            _("the receipt printer at {where} cannot be reached; check that it is on and connected").format(where=where)
        ) from exc
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise PrintFailed(
            _("the receipt printer at {where} did not take the receipt: {reason}").format(where=where, reason=why)
        ) from exc
    finally:
        printer.close()
