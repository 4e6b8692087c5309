"""Cold start to an interactive counter, paired against a bare PySide6 window; ``-X importtime``'s top ten.

Each pair runs the till (``python -m app``, exits once the counter is interactive: TILLQR_EXIT_WHEN_READY)
and the bare window (bare_window.py) one after the other, alternating which goes first, each in a fresh
process (with bytecode, as an installed till runs); the ratio is taken pair by pair so a machine whose speed drifts between pairs still compares fairly.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from procs import ROOT, configured_env

BARE = [sys.executable, str(Path(__file__).with_name("bare_window.py"))]
TILL = [sys.executable, "-m", "app"]
WATCHED = ("app.sandbox", "starlette", "uvicorn", "PIL", "zxingcpp", "websockets")


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    wall = (time.perf_counter() - t0) * 1000
    if "ready" not in out.stdout:
        raise RuntimeError(f"{' '.join(cmd)} did not report ready: {(out.stderr or out.stdout)[-300:]}")
    return wall


def _env(mode: str, home: Path, sandbox_url: str) -> dict[str, str]:
    if mode == "configured":
        env = configured_env(home, sandbox_url)
    else:
        env = dict(os.environ, TILLQR_HOME=str(home), QT_QPA_PLATFORM="offscreen")
        env.pop("TILLQR_SANDBOX_URL", None)  # demo mode on the embedded sandbox, as a fresh kiosk starts
    return dict(_with_bytecode(env), TILLQR_EXIT_WHEN_READY="1")


def _with_bytecode(env: dict[str, str]) -> dict[str, str]:
    """As installed (pip and PyInstaller compile the bytecode): the warm-up run writes what is missing."""
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


def paired(mode: str, pairs: int, sandbox_url: str) -> dict[str, object]:
    """``mode``: "configured" (Razorpay at the sandbox in another process) or "demo" (``--demo``, embedded)."""
    till = TILL + (["--demo"] if mode == "demo" else [])
    tills, bares, ratios = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(mode, Path(tmp) / "home", sandbox_url)
        bare_env = _with_bytecode(dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        _timed(till, env), _timed(BARE, bare_env)  # warm-up: the file cache, .pyc files
        for n in range(pairs):
            if n % 2:
                b = _timed(BARE, bare_env)
                a = _timed(till, env)
            else:
                a = _timed(till, env)
                b = _timed(BARE, bare_env)
            tills.append(a), bares.append(b), ratios.append(a / b)
    return {
        "pairs": pairs,
        "till_ms_median": round(statistics.median(tills), 1),
        "bare_window_ms_median": round(statistics.median(bares), 1),
        "ratio_median": round(statistics.median(ratios), 2),
        "ratio_min_max": [round(min(ratios), 2), round(max(ratios), 2)],
    }


def importtime(mode: str, sandbox_url: str, top: int = 10) -> dict[str, object]:
    """``python -X importtime -m app`` up to the counter: the slowest imports (cumulative µs, with what
    they pull in) and whether the names the start path must not load were loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(mode, Path(tmp) / "home", sandbox_url)
        cmd = [sys.executable, "-X", "importtime", *TILL[1:], *(["--demo"] if mode == "demo" else [])]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    rows = []
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), int(m.group(1)), m.group(4)))
    names = {name for _, _, name in rows}
    return {
        "modules": len(rows),
        "top": [
            f"{cum:>8} us cumulative {own:>7} us self  {name}" for cum, own, name in sorted(rows, reverse=True)[:top]
        ],
        "loaded": {w: any(n == w or n.startswith(w + ".") for n in names) for w in WATCHED},
    }
