"""A sender as its own process for the replication harness: ``tillqr backoffice push`` in a loop.

    python -m tests.support.push_loop URL KIND NAME      (TILLQR_HOME, the file keyring and, the first time,
                                                          TILLQR_ENROLMENT_CODE in the environment)

Registers the home's demo device with the back office at URL once (``tillqr backoffice register --demo``), then
runs the command-line push (``app.__main__.main``: the same lock, identity, keyring and Sender as the command) again
and again, a moment apart, until it is killed — the harness SIGKILLs it at random. One process per machine keeps
Python's start-up out of every push; each push line (the command's JSON) goes to stdout.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from app.__main__ import main as tillqr
from app.config.paths import paths
from app.replication.identity import identity_file

PAUSE_S = 0.05  # between pushes: the loop is "push when there is something", not a busy loop
AWAY_S = 0.2  # after a push that found the back office unreachable (3) or stopped on an error (1)


def run(url: str, kind: str, name: str) -> None:
    home = paths()
    if not identity_file(home.data_dir, True).exists():
        status = tillqr(["backoffice", "register", url, "--demo", "--kind", kind, "--name", name, "--json"])
        if status != 0:
            raise SystemExit(f"push_loop: registration failed ({status})")
    Path(home.data_dir / "push_loop.ready").touch()
    while True:
        status = tillqr(["backoffice", "push", "--demo", "--json"])
        sys.stdout.flush()
        time.sleep(PAUSE_S if status in (0, 4) else AWAY_S)


if __name__ == "__main__":
    run(*sys.argv[1:4])
