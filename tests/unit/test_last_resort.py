"""What no command expected still ends in one line and a status, never a traceback; the self-test loads the
receipt printer's driver (the check that caught a bundle without python-escpos's data files)."""

from __future__ import annotations

import os
import subprocess
import sys

INJECTED = """
import app.__main__ as cli
from app.commands import qr_cli

def broken(args):  # a fault injected where no command expects one
    raise FileNotFoundError(2, "No such file or directory", "/bundle/_internal/escpos/capabilities.json")

qr_cli.dispatch = broken
raise SystemExit(cli.main(["qr", "decode", "000201"]))
"""


def test_an_unexpected_failure_is_one_line_and_the_traceback_goes_to_the_log(tmp_path):
    env = dict(os.environ, TILLQR_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", INJECTED], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    said = done.stderr
    assert len(said.strip().splitlines()) == 1 and "Traceback" not in said, said
    assert "unexpected failure" in said and "capabilities.json" in said and "tillqr.log" in said
    logged = (tmp_path / "logs" / "tillqr.log").read_text(encoding="utf-8")
    assert "Traceback" in logged and "FileNotFoundError" in logged


def test_self_test_checks_the_receipt_printers_driver(tmp_path):
    env = dict(os.environ, TILLQR_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "app", "self-test"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [line for line in done.stdout.splitlines() if " receipts " in line]
    assert line.startswith("PASS") and "ESC/POS driver loaded" in line
