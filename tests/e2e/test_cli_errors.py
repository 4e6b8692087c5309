"""The command line's edges, as a new user meets them: usage errors, a busy port, an unusable home,
a closed pipe, a refused sale, SIGTERM, an unreachable sandbox, a broken config.toml.
Real subprocesses against a real ``tillqr sandbox`` on 127.0.0.1."""

import json
import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tests.e2e.conftest import closed_port

pytestmark = pytest.mark.e2e


def run(*args, url=None, home=None, timeout=90, **env):
    full = dict(os.environ, **env)
    if url:
        full["TILLQR_SANDBOX_URL"] = url
    if home is not None:
        full["TILLQR_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=full, timeout=timeout
    )


def start(*args, url, home):
    env = dict(os.environ, TILLQR_SANDBOX_URL=url, TILLQR_HOME=str(home))
    return subprocess.Popen(
        [sys.executable, "-m", "app", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def requests_at(url) -> int:
    return len(httpx.get(f"{url}/_sandbox/state").json()["requests"])


@pytest.mark.parametrize(
    "args",
    [
        ["charge"],
        ["charge", "5", "--wait", "abc"],
        ["charge", "5", "--wait", "nan"],
        ["charge", "5", "--wait", "inf"],
        ["charge", "5", "--wait", "-1"],
        ["charge", "5", "--wait", "0"],
        ["charge", "5", "--expires-in", "0"],
        ["charge", "5", "--expires-in", "-5"],
        ["charge", "5", "--expires-in", "nan"],
        ["charge", "5", "--pay-after", "nan"],
        ["journal"],
        ["nonsense"],
        ["sandbox", "--port", "99999"],
        ["sandbox", "--port", "-1"],
        ["sandbox", "--port", "x"],
    ],
)
def test_usage_errors_exit_1_with_the_usage_and_create_nothing(sandbox_url, tmp_path, args):
    before = requests_at(sandbox_url)
    proc = run(*args, *(["--demo"] if args[0] == "charge" else []), url=sandbox_url, home=tmp_path, timeout=30)
    assert proc.returncode == 1, proc.stderr
    assert "usage: tillqr" in proc.stderr and "error:" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert requests_at(sandbox_url) == before
    assert not (tmp_path / "data").exists()  # nothing journaled, not even a folder made


def test_help_says_what_the_exit_codes_mean():
    proc = run("--help", timeout=30)
    assert proc.returncode == 0 and "exit codes" in proc.stdout and "usage error" in proc.stdout


def test_sandbox_on_a_busy_port_or_an_unknown_host_exits_1():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        busy = run("sandbox", "--port", str(port), timeout=30)
    assert busy.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    unknown = run("sandbox", "--host", "nonexistent.invalid", "--port", "0", timeout=60)
    assert unknown.returncode == 1 and "nonexistent.invalid" in unknown.stderr and unknown.stdout == ""
    assert "Traceback" not in busy.stderr + unknown.stderr


@pytest.mark.parametrize("args", [["journal", "list"], ["charge", "5", "--demo"], ["recover"]])
def test_an_unusable_home_is_one_line_and_exit_1(args):
    proc = run(*args, TILLQR_HOME="/proc/nope", timeout=30)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "/proc/nope" in proc.stderr and "TILLQR_HOME" in proc.stderr


def test_a_down_sandbox_is_named_with_its_url(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}"
    proc = run("charge", "5", "--demo", url=url, home=tmp_path, timeout=90)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()[-1:]
    assert "sandbox at " + url in line and "TILLQR_SANDBOX_URL" in line and "tillqr sandbox" in line


def test_a_refused_charge_is_closed_in_the_journal_before_exit(sandbox_url, tmp_path):
    refused = run("charge", "5", "--demo", "--provider", "pix", "--due", "2020-01-01", url=sandbox_url, home=tmp_path)
    assert refused.returncode == 1 and "refused" in refused.stderr, refused.stderr
    [row] = [json.loads(line) for line in run("journal", "list", "--json", home=tmp_path).stdout.splitlines()]
    assert row["status"] == "failed" and row["closed_at"] is not None
    listed = run("journal", "list", home=tmp_path)
    assert "(open)" not in listed.stdout and row["sale_id"] in listed.stdout
    after = run("recover", "--demo", url=sandbox_url, home=tmp_path)
    assert "recovered" not in after.stderr and "nothing to recover" in after.stdout, after.stderr


def test_sigterm_cancels_and_unlinks_like_ctrl_c(sandbox_url, tmp_path):
    proc = start("charge", "6.00", "--demo", url=sandbox_url, home=tmp_path)
    linked = json.loads(proc.stdout.readline())
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=90)
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1] == {
        "event": "closed",
        "sale_id": linked["sale_id"],
        "status": "cancelled",
        "amount_received": "0.00",
        "unlinked": True,
    }, err
    assert proc.returncode == 2 and "Traceback" not in err
    state = httpx.get(f"{sandbox_url}/_sandbox/state").json()
    req = next(r for r in state["requests"] if r["id"] == linked["request_id"])
    assert req["status"] == "CANCELLED" and req["linked_to"] is None


def test_journal_list_shows_the_sale_id_refund_takes_and_survives_a_closed_pipe(sandbox_url, tmp_path):
    for _ in range(2):
        assert run("charge", "2.00", "--demo", "--wait", "0.5", url=sandbox_url, home=tmp_path).returncode == 2
    rows = [json.loads(line) for line in run("journal", "list", "--json", home=tmp_path).stdout.splitlines()]
    text = run("journal", "list", home=tmp_path).stdout.splitlines()
    assert len(text) == 2 and all(r["sale_id"] in line for r, line in zip(rows, text))
    for args in (
        ["journal", "list"],
        ["journal", "list", "--json"],
        ["journal", "totals"],
        ["--help"],
        ["qr", "decode", "00020101021126360014br.gov.bcb.pix0114+5561999999999"],
    ):
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ, TILLQR_HOME=str(tmp_path)),
        )
        proc.stdout.close()  # the reader is gone before the first line (`| head -0`)
        err = proc.stderr.read().decode()
        assert proc.wait(30) in (0, 1) and "Traceback" not in err and "BrokenPipe" not in err, (args, err)


def test_recover_says_what_it_waits_for(sandbox_url, tmp_path):
    proc = start("charge", "7.00", "--demo", "--expires-in", "120", url=sandbox_url, home=tmp_path)
    linked = json.loads(proc.stdout.readline())
    proc.kill()  # the till died with the sale open at the provider
    proc.wait(10)
    rec = start("recover", "--demo", url=sandbox_url, home=tmp_path)
    said = []
    for line in rec.stderr:  # what it waits for is said before it waits
        said.append(line)
        if "still open" in line:
            break
    # the request ends at the provider (not on a clock: a loaded machine must not turn "open" into "expired")
    httpx.post(f"{sandbox_url}/_sandbox/cancel", json={"request_id": linked["request_id"]}).raise_for_status()
    out, err = rec.communicate(timeout=60)
    text = "".join(said) + err
    assert rec.returncode == 0, text
    assert f"sale {linked['sale_id']}" in text and "still open" in text
    assert "7.00" in text and "expires at" in text and "--cancel-open" in text
    assert "cancelled" in out.lower(), out


def test_a_broken_config_does_not_hide_the_journal_and_names_its_file(tmp_path):
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "config.toml"
    config.write_text("")  # an unfinished setup: a working demo that says what is missing (DESIGN.md)
    empty = run("charge", "5", "--wait", "1", home=tmp_path, timeout=60)
    assert empty.returncode == 2 and "setup is unfinished: the provider's address" in empty.stderr, empty.stderr
    assert not (tmp_path / "data" / "journal.sqlite3").exists()  # the demo sale went to the demo journal
    config.write_text("[[[ not toml")
    for args in (
        ["journal", "list"],
        ["journal", "list", "--json"],
        ["journal", "totals"],
        ["journal", "export", str(tmp_path / "out.csv")],
    ):
        proc = run(*args, home=tmp_path, timeout=30)
        assert proc.returncode == 0 and str(config) in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_sandbox_that_is_up_but_answers_503_is_not_told_to_be_started(sandbox_url, tmp_path):
    httpx.post(f"{sandbox_url}/_sandbox/faults", json={"error_rate": 1}).raise_for_status()
    try:
        proc = run("charge", "5.00", "--demo", url=sandbox_url, home=tmp_path)
    finally:
        httpx.delete(f"{sandbox_url}/_sandbox/faults").raise_for_status()
    assert proc.returncode == 1 and "answered 503" in proc.stderr and "start it with" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


NESTED_CONFIG = ("a = " + "[" * 100_000 + "]" * 100_000 + "\n").encode()


@pytest.mark.parametrize(
    "args",
    [
        ["charge", "5"],
        ["recover"],
        ["journal", "refund", "nosuchsale"],
        ["bills", "list"],
        ["bills", "record", "B1", "5"],
        ["bills", "import", "route.csv"],
        ["sync"],
        ["sync", "--dry-run"],
    ],
)
def test_a_deeply_nested_config_is_one_line_and_exit_1_for_every_command(tmp_path, args):
    """Issue 12, defect 1: it ended in a RecursionError traceback."""
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir()
    config.write_bytes(NESTED_CONFIG)
    proc = run(*args, home=tmp_path, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and str(config) in proc.stderr and "nested too deeply" in proc.stderr
    assert config.read_bytes() == NESTED_CONFIG
