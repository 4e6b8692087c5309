"""An exclusive OS file lock held for a process's life (fcntl; none on Windows), released by the OS when the
process dies: the till lock (``app.runtime.lock``) and the back office sender's (``app.replication.sender``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from app.config.paths import private_file


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is what it wrote there ("pid 1234", or "")."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def hold(path: Path) -> TextIO:
    """The lock at ``path`` taken (this process's pid written in it), as the open file to keep; LockHeld when
    another process has it. The file is this user's only (0600)."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_APPEND, 0o600)  # this user's only, like every file
    private_file(path, fd)  # one an older TillQR left open (0644) too
    fh = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the lock's life
    try:
        import fcntl  # lazy: POSIX only; Windows has no fcntl (and no lock, as before)

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # no fcntl (Windows): no lock, as before
        pass
    except OSError:
        fh.seek(0)
        holder = fh.read().strip()
        fh.close()
        raise LockHeld(holder) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}")
    fh.flush()
    return fh
