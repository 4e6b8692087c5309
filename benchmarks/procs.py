"""Helpers the benchmarks share: `tillqr sandbox` in its own process, a configured till's home."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_process() -> Iterator[str]:
    """`tillqr sandbox` on 127.0.0.1 in another process; yields its URL."""
    port = free_port()
    launch = ["-m", "app", "sandbox", "--port"]
    proc = subprocess.Popen(
        [sys.executable, *launch, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # "TillQR sandbox on http://…": it listens
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def configured_env(home: Path, sandbox_url: str) -> dict[str, str]:
    """The environment of a configured till (Razorpay at the sandbox, credentials in a file keyring
    outside ``home``): what a shop's till starts with, minus the network."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        '[store]\nname = "Chai Point"\ncity = "BENGALURU"\ncurrency = "INR"\n'
        f'[provider]\nname = "razorpay"\nbase_url = "{sandbox_url}/razorpay"\n',
        encoding="utf-8",
    )
    ring = home.parent / f"{home.name}-keyring.json"
    ring.write_text(
        json.dumps({"tillqr\x00razorpay:key_id": "rzp_test_bench", "tillqr\x00razorpay:key_secret": "bench"}),
        encoding="utf-8",
    )
    return dict(
        os.environ,
        TILLQR_HOME=str(home),
        TILLQR_TEST_KEYRING=str(ring),
        PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring",
        PYTHONPATH=str(ROOT),
        QT_QPA_PLATFORM="offscreen",
    )
