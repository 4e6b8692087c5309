"""The till lock: one TillQR at a time on a till's journal."""

from __future__ import annotations

import os
from pathlib import Path

from app.config.paths import Paths, private_file
from app.i18n import _

from .errors import TillBusy


class TillLock:
    """One TillQR at a time on a till's journal (GUI, charge, recover): two would both think they own
    the counter's sale. An OS file lock, released by the OS too if the process dies."""

    def __init__(self, path: Path):
        self.path = path
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_APPEND, 0o600)  # this user's only, like every file
        private_file(path, fd)  # one an older TillQR left open (0644) too
        self._fh = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the runtime's life
        try:
            import fcntl  # lazy: POSIX only; Windows has no fcntl (and no lock, as before)

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # no fcntl (Windows): no lock, as before
            pass
        except OSError:
            self._fh.seek(0)
            holder = self._fh.read().strip()
            self._fh.close()
            raise TillBusy(
                _(
                    "another TillQR is already running on this till ({holder}); close it first (each till needs its "
                    "own {variable})"
                ).format(holder=holder or _("pid unknown"), variable="TILLQR_HOME")
            ) from None
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"pid {os.getpid()}")
        self._fh.flush()

    def release(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def lock_file(p: Paths, demo: bool) -> Path:
    """The till lock of the shop's journal, or of the demo one."""
    return p.data_dir / ("till-demo.lock" if demo else "till.lock")
