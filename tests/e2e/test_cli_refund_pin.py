"""`tillqr journal refund` behind the manager PIN, and a refund left REJECTED closed with a note, against a real
`tillqr sandbox` on 127.0.0.1 (issue 12, defects 9 and 10). Each command is its own process, as a script runs them."""

import json
import os
import subprocess
import sys

import pytest

from app.config import settings as st
from app.config.pin import PinGate, hash_pin

pytestmark = pytest.mark.e2e
PIN = "246810"


@pytest.fixture
def till(sandbox_url, tmp_path):
    """``run(*args, pin=None)``: one ``tillqr`` process on this home; ``pin`` goes in TILLQR_MANAGER_PIN."""

    def run(*args, pin=None):
        env = dict(os.environ, TILLQR_SANDBOX_URL=sandbox_url, TILLQR_HOME=str(tmp_path))
        env.pop("TILLQR_MANAGER_PIN", None)
        if pin is not None:
            env["TILLQR_MANAGER_PIN"] = pin
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,  # no terminal: the PIN cannot be typed
            timeout=90,
        )

    return run


def set_pin(home) -> None:
    st.save(st.Settings(pin_hash=hash_pin(PIN)), home / "config" / "config.toml")


def paid_depay_sale(till, amount="100.00") -> str:
    paid = till("charge", amount, "--demo", "--provider", "depay", "--pay-after", "0.3")
    assert paid.returncode == 0, paid.stderr
    return json.loads(paid.stdout.splitlines()[0])["sale_id"]


def refunds_of(till, sale_id):
    rows = [json.loads(line) for line in till("journal", "list", "--json", "--demo").stdout.splitlines()]
    return next(r for r in rows if r["sale_id"] == sale_id)["amount_refunded"]


def test_a_command_line_refund_needs_the_manager_pin(till, tmp_path):
    set_pin(tmp_path)
    sale_id = paid_depay_sale(till)
    nopin = till("journal", "refund", sale_id, "10.00", "--demo")
    assert nopin.returncode == 1 and "TILLQR_MANAGER_PIN" in nopin.stderr and "terminal" in nopin.stderr
    wrong = till("journal", "refund", sale_id, "10.00", "--demo", pin="000000")
    assert wrong.returncode == 1 and "refund refused: wrong PIN (4 tries left)" in wrong.stderr
    assert refunds_of(till, sale_id) == "0.00"  # nothing was asked of the provider
    right = till("journal", "refund", sale_id, "10.00", "--demo", "--json", pin=PIN)
    assert right.returncode == 0, right.stderr
    assert json.loads(right.stdout)["status"] == "partially_refunded"
    assert PIN not in right.stdout + right.stderr


def test_wrong_pins_from_many_processes_lock_out_the_command_line_and_the_gui(till, tmp_path):
    set_pin(tmp_path)
    sale_id = paid_depay_sale(till)
    answers = [till("journal", "refund", sale_id, "--demo", pin=guess) for guess in ("1", "22", "333", "4444", "55555")]
    assert [a.returncode for a in answers] == [1] * 5 and "locked for 300 s" in answers[-1].stderr
    right = till("journal", "refund", sale_id, "--demo", pin=PIN)  # a new process, the right PIN: still locked
    assert right.returncode == 1 and "too many wrong PINs" in right.stderr
    gate = PinGate(hash_pin(PIN), state_file=tmp_path / "config" / "pin-lockout.json")  # the GUI's gate's file
    assert gate.locked_until > 0
    assert refunds_of(till, sale_id) == "0.00"


def test_with_no_pin_set_only_the_demo_journal_is_refunded_and_only_with_demo(till):
    sale_id = paid_depay_sale(till)
    refused = till("journal", "refund", sale_id, "10.00", pin=PIN)
    assert refused.returncode == 1 and "no manager PIN is set" in refused.stderr and "--demo" in refused.stderr
    done = till("journal", "refund", sale_id, "10.00", "--demo")
    assert done.returncode == 0, done.stderr
    assert "no manager PIN is set, so the demo journal is changed without one" in done.stderr


def test_a_rejected_depay_refund_is_closed_with_a_note_and_the_next_refund_goes_through(till, tmp_path):
    set_pin(tmp_path)
    sale_id = paid_depay_sale(till)
    rejected = till("journal", "refund", sale_id, "2.89", "--demo", pin=PIN)  # the sandbox rejects amounts ending in 9
    assert rejected.returncode == 1 and "REJECTED" in rejected.stderr and "--close" in rejected.stderr
    blocked = till("journal", "refund", sale_id, "10.00", "--demo", pin=PIN)
    assert blocked.returncode == 1 and "not confirmed yet" in blocked.stderr
    refund_id = blocked.stderr.split("--close ")[1].split()[0]
    no_note = till("journal", "refund", sale_id, "--close", refund_id, "--demo", pin=PIN)
    assert no_note.returncode == 1 and "--close needs --note" in no_note.stderr
    wrong = till("journal", "refund", sale_id, "--close", refund_id, "--note", "x", "--demo", pin="000000")
    assert wrong.returncode == 1 and "closing refused: wrong PIN" in wrong.stderr
    note = "Depay support (ticket 4411): the refund failed, nothing left the account"
    closed = till("journal", "refund", sale_id, "--close", refund_id, "--note", note, "--demo", "--json", pin=PIN)
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout) | {"closed_at": None} == {
        "event": "refund_closed",
        "sale_id": sale_id,
        "refund_id": refund_id,
        "status": "rejected",
        "note": note,
        "closed_at": None,
    }
    again = till("journal", "refund", sale_id, "10.00", "--demo", "--json", pin=PIN)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["amount_refunded"] == "10.00"
