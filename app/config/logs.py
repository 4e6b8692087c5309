"""Logging: a rotating file under the log folder, warnings on stderr; never a secret.

Provider errors are built without credentials (app/providers/base.py); as a second line of
defence, ``RedactingFilter`` masks anything that looks like an Authorization header value.
"""

from __future__ import annotations

import logging
import re
import sys
from logging.handlers import RotatingFileHandler

from .paths import Paths

_SECRET = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg, record.args = _SECRET.sub(r"\1 [redacted]", message), None
        return True


def setup_logging(paths: Paths, *, stderr_level: int = logging.WARNING) -> None:
    """Once per process: DEBUG and up to ``logs/tillqr.log`` (5 × 1 MB), ``stderr_level`` and up to stderr."""
    root = logging.getLogger()
    if any(getattr(h, "_tillqr", False) for h in root.handlers):
        return
    root.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactingFilter()
    handlers: list[logging.Handler] = []
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(
            RotatingFileHandler(paths.log_dir / "tillqr.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        )
    except OSError as exc:  # a read-only home must not stop the till
        print(f"tillqr: warning: cannot write logs to {paths.log_dir}: {exc.strerror}", file=sys.stderr)
    console = logging.StreamHandler()
    console.setLevel(stderr_level)
    console.setFormatter(logging.Formatter("tillqr: %(levelname)s: %(message)s"))
    handlers.append(console)
    for h in handlers:
        h._tillqr = True  # type: ignore[attr-defined]
        h.addFilter(redact)
        if h is not console:
            h.setFormatter(fmt)
        root.addHandler(h)
    logging.getLogger("httpx").setLevel(logging.WARNING)
