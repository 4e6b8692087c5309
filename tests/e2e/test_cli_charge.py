"""`tillqr charge` against a real `tillqr sandbox` on 127.0.0.1, paid through /_sandbox/pay."""

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.e2e.conftest import closed_port

pytestmark = pytest.mark.e2e


def tillqr(args, url, home, **kw):
    env = dict(os.environ, TILLQR_SANDBOX_URL=url, TILLQR_HOME=str(home))
    return subprocess.Popen(
        [sys.executable, "-m", "app", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **kw
    )


def test_charge_paid_by_the_customer(sandbox_url, tmp_path):
    proc = tillqr(["charge", "12.50", "--demo", "--ref", "order 77"], sandbox_url, tmp_path)
    linked = json.loads(proc.stdout.readline())
    assert linked["event"] == "linked" and linked["amount"] == "12.50" and linked["currency"] == "BRL"
    assert linked["provider"] == "jpmorgan" and linked["payload"].startswith("000201")
    paid = httpx.post(f"{sandbox_url}/_sandbox/pay", json={"payload": linked["payload"]})
    assert paid.status_code == 200 and paid.json()["request_id"] == linked["request_id"]
    out, err = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines()]
    assert {"event": "status", "status": "settled"} in lines
    assert lines[-1] == {
        "event": "closed",
        "sale_id": linked["sale_id"],
        "status": "settled",
        "amount_received": "12.50",
        "unlinked": True,
    }
    assert proc.returncode == 0, err
    assert "demo mode" in err
    state = httpx.get(f"{sandbox_url}/_sandbox/state").json()
    req = next(r for r in state["requests"] if r["id"] == linked["request_id"])
    assert req["status"] == "SETTLED" and req["amount_paid"] == "12.50" and req["linked_to"] is None
    listed = subprocess.run(
        [sys.executable, "-m", "app", "journal", "list", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ, TILLQR_HOME=str(tmp_path)),
        timeout=30,
    )
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["sale_id"] == linked["sale_id"] and row["status"] == "settled" and row["closed_at"]


def test_charge_that_expires_exits_2(sandbox_url, tmp_path):
    proc = tillqr(["charge", "3.00", "--demo", "--expires-in", "1"], sandbox_url, tmp_path)
    out, err = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["event"] == "linked" and lines[-1]["status"] == "expired" and lines[-1]["unlinked"] is True
    assert proc.returncode == 2


def test_charge_with_wait_cancels_when_unpaid(sandbox_url, tmp_path):
    proc = tillqr(["charge", "4.00", "--demo", "--wait", "1"], sandbox_url, tmp_path)
    out, err = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1]["status"] == "cancelled" and proc.returncode == 2


@pytest.mark.parametrize("amount", ["abc", "-5", "0", "1.001"])
def test_bad_amount_exits_1_with_reason(sandbox_url, tmp_path, amount):
    proc = tillqr(["charge", amount, "--demo"], sandbox_url, tmp_path)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and out == "" and "tillqr: error:" in err and "Traceback" not in err


def test_sandbox_down_exits_1_with_reason(tmp_path):
    proc = tillqr(["charge", "5.00", "--demo"], f"http://127.0.0.1:{closed_port()}", tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err and "tillqr: error:" in err


@pytest.mark.parametrize("provider", ["jpmorgan", "razorpay", "depay", "pix"])
def test_charge_on_every_provider_settles_through_sandbox_pay(sandbox_url, tmp_path, provider):
    proc = tillqr(["charge", "12.50", "--demo", "--provider", provider], sandbox_url, tmp_path)
    linked = json.loads(proc.stdout.readline())
    assert linked["event"] == "linked" and linked["provider"] == provider and linked["payload"]
    paid = httpx.post(f"{sandbox_url}/_sandbox/pay", json={"payload": linked["payload"]})
    assert paid.status_code == 200, paid.text
    out, err = proc.communicate(timeout=60)
    last = json.loads(out.splitlines()[-1])
    assert last["event"] == "closed" and last["status"] == "settled" and last["amount_received"] == "12.50"
    assert proc.returncode == 0, err


@pytest.mark.parametrize("amount,status", [("12.59", "failed"), ("12.58", "cancelled")])
def test_depay_stage_rules_end_unpaid_with_exit_2(sandbox_url, tmp_path, amount, status):
    proc = tillqr(["charge", amount, "--demo", "--provider", "depay"], sandbox_url, tmp_path)
    linked = json.loads(proc.stdout.readline())
    httpx.post(f"{sandbox_url}/_sandbox/pay", json={"payload": linked["payload"]})
    out, err = proc.communicate(timeout=60)
    assert json.loads(out.splitlines()[-1])["status"] == status and proc.returncode == 2, err


def test_recover_and_refund_follow_each_sales_own_provider(sandbox_url, tmp_path):
    env = dict(os.environ, TILLQR_SANDBOX_URL=sandbox_url, TILLQR_HOME=str(tmp_path))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, timeout=90)

    paid = run("charge", "100.00", "--demo", "--provider", "depay", "--pay-after", "0.3")
    sale_id = json.loads(paid.stdout.splitlines()[0])["sale_id"]
    assert paid.returncode == 0, paid.stderr
    # a Depay sale left open by a process killed mid-sale
    proc = tillqr(["charge", "11.00", "--demo", "--provider", "depay"], sandbox_url, tmp_path)
    open_id = json.loads(proc.stdout.readline())["sale_id"]
    proc.kill()
    proc.wait(10)
    other = run("charge", "5.00", "--demo", "--pay-after", "0.3")  # jpmorgan: must not touch the Depay sale
    assert other.returncode == 0, other.stderr
    rows = {
        json.loads(line)["sale_id"]: json.loads(line) for line in run("journal", "list", "--json").stdout.splitlines()
    }
    assert rows[open_id]["status"] in ("linked", "pending") and rows[open_id]["closed_at"] is None
    recovered = run("recover", "--cancel-open", "--json")
    assert recovered.returncode == 0, recovered.stderr
    actions = {json.loads(line)["sale_id"]: json.loads(line) for line in recovered.stdout.splitlines()}
    assert actions[open_id]["status"] == "cancelled" and actions[open_id]["closed"] is True
    refund = run("journal", "refund", sale_id, "30.00", "--json", "--demo")  # no --provider: the sale's own; no PIN set
    assert refund.returncode == 0, refund.stderr
    assert json.loads(refund.stdout)["status"] == "partially_refunded"
