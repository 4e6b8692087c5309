"""The end-of-shift report's screen, and printing a receipt from any screen, without Qt.

``ShiftModel`` holds the current shift's report (app.receipts.shift) for its dialog (app/ui/shift_dialog.py):
``load`` reads it, ``print_report`` prints it where ``[printer]`` says, ``export`` writes it as CSV and
``close_shift`` closes it (the next shift starts then) and reads the new, empty one. The dialog is opened from
the Journal page, so it is behind the manager PIN as the journal is.

``print_receipt`` prints a sale's receipt through a screen's own operation runner (the Journal's, the
counter's): busy while it prints, its failure and its success said in that screen's message line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path

from app.domain.sale import utcnow
from app.i18n import _, lazy_, ngettext
from app.receipts.desk import PrintFailed, Printout, ReceiptDesk
from app.receipts.printer import CHARS_PER_LINE
from app.receipts.shift import ShiftReport, close_shift, load_report, report_lines, write_csv

from .observed import Listeners
from .operations import Busy, Level, Operations, Words

PRINT = Words(lazy_("Not printed"), expected=(PrintFailed,))
REPORT = Words(lazy_("The report could not be read"))
EXPORT = Words(lazy_("The CSV could not be written"))
CLOSE = Words(lazy_("The shift was not closed"))
SCREEN_CHARS = CHARS_PER_LINE[80]


async def print_receipt(ops: Operations, desk: ReceiptDesk, sale_id: str, *, pdf: Path | None = None) -> bool:
    """Print the receipt of ``sale_id`` through ``ops`` (the screen's runner); whether it was printed."""
    doing = _("Printing the receipt…")
    outcome = await ops.run(Busy.PRINT, desk.print_sale(sale_id, pdf=pdf), PRINT, doing=doing)
    if outcome.ok and outcome.value:
        ops.say(outcome.value + ".")
    return outcome.ok


class ShiftModel:
    """The state of the end-of-shift dialog. ``clock`` and ``tz`` fix "now" and midnight in tests."""

    def __init__(self, desk: ReceiptDesk, *, clock: Callable[[], datetime] = utcnow, tz: tzinfo | None = None):
        self.desk = desk
        self.clock = clock
        self.tz = tz
        self.report: ShiftReport | None = None
        self.message = ""
        self.message_level: str = Level.INFO
        self.ops = Operations(self)
        self._listeners = Listeners()

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def changed(self) -> None:
        self._listeners()

    @property
    def busy(self) -> Busy | None:
        return self.ops.busy

    def lines(self, width: int = SCREEN_CHARS) -> list[str]:
        """The report as the screen shows it (48 characters: an 80 mm receipt's)."""
        if self.report is None:
            return []
        return report_lines(self.report, self.desk.store_name, width, tz=self.tz)

    async def load(self) -> bool:
        outcome = await self.ops.run(Busy.LOAD, load_report(self.desk.journal, now=self.clock(), tz=self.tz), REPORT)
        if outcome.ok:
            self.report = outcome.value
            self.changed()
        return outcome.ok

    async def print_report(self, *, pdf: Path | None = None) -> bool:
        if self.report is None:
            return False
        name = f"shift-{self.report.until.astimezone(self.tz):%Y%m%d-%H%M}"
        lines = self.lines(self.desk.printer.chars)
        printing = self.desk.print_lines(lines, name, pdf=pdf, what=Printout.REPORT)
        outcome = await self.ops.run(Busy.PRINT, printing, PRINT, doing=_("Printing…"))
        if outcome.ok and outcome.value:
            self.ops.say(outcome.value + ".")
        return outcome.ok

    async def export(self, path: Path) -> bool:
        if self.report is None:
            return False
        report = self.report

        async def write() -> int:
            return write_csv(report, path)

        outcome = await self.ops.run(Busy.EXPORT, write(), EXPORT, doing=_("Writing…"))
        if outcome.ok and outcome.value is not None:
            n = outcome.value
            self.ops.say(
                ngettext("{n} row written to {path}.", "{n} rows written to {path}.", n).format(n=n, path=path)
            )
        return outcome.ok

    async def close_shift(self) -> bool:
        """Close the shown report's shift and show the next (empty) one."""
        if self.report is None:
            return False
        outcome = await self.ops.run(Busy.CLOSE_SHIFT, close_shift(self.desk.journal, self.report), CLOSE)
        if not outcome.ok:
            return False
        await self.load()
        self.ops.say(_("Shift closed: the next one starts now."))
        return True
