"""Logging: a rotating file under the log folder (0600), on stderr only with ``--verbose``; never a secret.

Provider errors are built without credentials (app/providers/base.py); as a second line of
defence, ``RedactingFilter`` masks anything that looks like an Authorization header value.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
from logging.handlers import RotatingFileHandler

from app.i18n import _

from .paths import Paths, private_file, private_folder

_SECRET = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg, record.args = _SECRET.sub(r"\1 [redacted]", message), None
        return True


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log file created 0600 (this user's only), the new file after each rollover too; one left
    more open by an older TillQR is tightened when it is opened."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        private_file(self.baseFilename, fd)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # always appended (rotation needs it)


def setup_logging(paths: Paths, *, verbose: bool = False) -> None:
    """DEBUG and up of TillQR's own loggers to ``logs/tillqr.log`` (5 × 1 MB, 0600 in a 0700 folder); on
    stderr only with ``verbose`` (``--verbose``): a command's stderr carries its own words, not the log's.
    Called again (another command in the same process, a test), it replaces the handlers it set before."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_tillqr", False)]:
        root.removeHandler(old)
        old.close()
    root.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactingFilter()
    handlers: list[logging.Handler] = []
    try:
        paths.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        private_folder(paths.log_dir)
        file_handler = PrivateRotatingFileHandler(
            paths.log_dir / "tillqr.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
        file_handler.setFormatter(fmt)
        handlers.append(file_handler)
    except OSError as exc:  # a read-only home must not stop the till
        print(
            _("tillqr: warning: cannot write logs to {folder}: {reason}").format(
                folder=paths.log_dir, reason=exc.strerror
            ),
            file=sys.stderr,
        )
    if verbose:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("tillqr: %(levelname)s: %(message)s"))
        handlers.append(console)
    for h in handlers:
        h._tillqr = True  # type: ignore[attr-defined]
        h.addFilter(redact)
        root.addHandler(h)
    logging.getLogger("httpx").setLevel(logging.WARNING)
