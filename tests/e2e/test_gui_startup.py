"""``python -m app`` (the kiosk GUI) when it cannot start: one line on stderr, no traceback, exit 1,
and no hang offscreen (no message box where nobody can click it).

The subprocess timeouts only stop a hung child; they are not the check."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.config.paths import paths

ROOT = Path(__file__).resolve().parents[2]


def gui(home: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TILLQR_EXIT_WHEN_READY="1", TILLQR_HOME=str(home), **env_extra)
    if "TILLQR_SANDBOX_URL" not in env_extra:
        env.pop("TILLQR_SANDBOX_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def one_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Cannot enter into task" not in done.stderr, done.stderr
    said = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(said) == 1, done.stderr
    assert said[0].startswith("tillqr: cannot start: ")
    return said[0]


def test_a_dead_demo_sandbox_url_is_said_in_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    line = one_line(gui(tmp_path, TILLQR_SANDBOX_URL=url))
    assert url in line and "TILLQR_SANDBOX_URL" in line


def test_an_unknown_provider_is_said_in_one_line(tmp_path):
    line = one_line(gui(tmp_path, "--demo", "--provider", "bogus"))
    assert "unknown provider 'bogus': choose one of jpmorgan" in line


@pytest.mark.parametrize("demo", [True, False], ids=["--demo", "unconfigured"])
def test_a_busy_till_is_said_in_one_line(tmp_path, demo):
    data = paths(tmp_path).ensure().data_dir
    with open(data / "till-demo.lock", "a+", encoding="utf-8") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242")
        held.flush()
        line = one_line(gui(tmp_path, *(["--demo"] if demo else [])))
    assert "another TillQR is already running on this till (pid 4242)" in line


def test_the_demo_gui_still_starts(tmp_path):
    done = gui(tmp_path, "--demo")
    assert done.returncode == 0, done.stderr
    assert "tillqr: ready (DEMO" in done.stdout and "Traceback" not in done.stderr
