"""The configured counter's start path stays lean: the sandbox and its web stack, Pillow and zxing (and
websockets, the configured provider not pushing) are not loaded by starting the counter.

The till runs in a child process as `tillqr` runs (configured Razorpay, credentials in a file keyring,
TILLQR_EXIT_WHEN_READY), then the child lists what it has imported: everything loaded up to the counter
being interactive, and after. A new top-level import of any of these on the way shows here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("app.sandbox", "starlette", "uvicorn", "PIL", "zxingcpp", "websockets")

CHILD = """
import json, sys
from app.__main__ import main
watched = sys.argv[1:]
status = main([])
heavy = sorted({w for w in watched for m in sys.modules if m == w or m.startswith(w + ".")})
print("LOADED " + json.dumps({"status": status, "heavy": heavy, "qt": "PySide6.QtWidgets" in sys.modules}))
"""


def test_configured_counter_starts_without_sandbox_web_stack_pillow_or_zxing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        '[store]\nname = "Chai Point"\ncurrency = "INR"\n'
        '[provider]\nname = "razorpay"\nbase_url = "http://127.0.0.1:9/razorpay"\n',
        encoding="utf-8",
    )
    ring = tmp_path / "keyring.json"
    ring.write_text(json.dumps({"tillqr\x00razorpay:key_id": "rzp_test_k", "tillqr\x00razorpay:key_secret": "s"}))
    env = dict(
        os.environ,
        TILLQR_HOME=str(home),
        TILLQR_TEST_KEYRING=str(ring),
        PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring",
        PYTHONPATH=str(ROOT),
        TILLQR_EXIT_WHEN_READY="1",
        QT_QPA_PLATFORM="offscreen",
    )
    env.pop("TILLQR_SANDBOX_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *HEAVY], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert "tillqr: ready (razorpay)" in out.stdout, out.stdout + out.stderr  # configured, not the demo fallback
    report = json.loads(out.stdout.split("LOADED ", 1)[1])
    assert report["status"] == 0 and report["qt"], report
    assert report["heavy"] == [], f"the counter's start path loaded {report['heavy']}"
