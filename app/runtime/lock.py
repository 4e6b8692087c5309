"""The till lock: one TillQR at a time on a till's journal."""

from __future__ import annotations

from pathlib import Path

from app.config.filelock import LockHeld, hold
from app.config.paths import Paths
from app.i18n import _

from .errors import TillBusy


class TillLock:
    """One TillQR at a time on a till's journal (GUI, charge, recover): two would both think they own
    the counter's sale. An OS file lock, released by the OS too if the process dies."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._fh = hold(path)
        except LockHeld as held:
            raise TillBusy(
                _(
                    "another TillQR is already running on this till ({holder}); close it first (each till needs its "
                    "own {variable})"
                ).format(holder=held.holder or _("pid unknown"), variable="TILLQR_HOME")
            ) from None

    def release(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def lock_file(p: Paths, demo: bool) -> Path:
    """The till lock of the shop's journal, or of the demo one."""
    return p.data_dir / ("till-demo.lock" if demo else "till.lock")
