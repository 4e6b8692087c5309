"""The real sandbox every end-to-end test talks to: ``python -m app sandbox`` on 127.0.0.1.

It listens on a port the OS picks (``--port 0``) and says which on its first line, so two test runs
on one machine never race for a port. One server per test module; modules that need a clean slate
reset it through ``/_sandbox/reset``.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import pytest

BANNER = re.compile(r"^TillQR sandbox on (http://127\.0\.0\.1:(\d+))$")


def start_sandbox(*args: str, module: str = "app") -> tuple[subprocess.Popen, str]:
    """Start a sandbox server (``python -m app sandbox``, or ``python -m app.sandbox`` with
    ``module="app.sandbox"``) and return it with its base URL, read from the banner it prints."""
    argv = [sys.executable, "-m", module, *(["sandbox"] if module == "app" else []), *args]
    if "--port" not in args:
        argv += ["--port", "0"]
    # stderr goes to a file, not an unread pipe: a chatty server must never block on a full pipe.
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by the fixture's teardown
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, text=True)
    line = proc.stdout.readline().strip()
    match = BANNER.match(line)
    if not match:
        proc.kill()
        proc.wait(10)
        errors.seek(0)
        raise AssertionError(f"no banner, got {line!r}; stderr: {errors.read()}")
    proc.errors = errors  # what it wrote on stderr: see stderr_of()
    return proc, match.group(1)


def stderr_of(proc: subprocess.Popen) -> str:
    proc.errors.seek(0)
    return proc.errors.read()


def stop_sandbox(proc: subprocess.Popen) -> None:
    """Stop it the way Ctrl-C does; a server that does not stop within 10 s is a failure."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    proc, url = start_sandbox()
    try:
        yield url
    finally:
        stop_sandbox(proc)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (for "the provider is unreachable" tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
