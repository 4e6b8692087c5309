"""``tillqr cashiers …`` behind the manager PIN, ``tillqr charge --cashier``, and the cashier in ``journal list``,
``journal export``, ``journal receipt`` and ``journal shift`` (in-process, on the demo journal and sandbox)."""

from __future__ import annotations

import csv
import json

import pytest

from app.__main__ import main
from app.config import settings as st
from app.config.pin import hash_pin

PIN = "246810"


@pytest.fixture
def home(tmp_path, monkeypatch, ring):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    monkeypatch.delenv("TILLQR_MANAGER_PIN", raising=False)
    monkeypatch.delenv("TILLQR_CASHIER_PIN", raising=False)
    st.save(st.Settings(pin_hash=hash_pin(PIN)), tmp_path / "config" / "config.toml")
    return tmp_path


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_cashier_changes_need_the_manager_pin(home, monkeypatch, capsys):
    monkeypatch.setenv("TILLQR_CASHIER_PIN", "4821")
    assert main(["cashiers", "add", "Ana", "--demo"]) == 1
    assert "the manager PIN is needed" in capsys.readouterr().err
    monkeypatch.setenv("TILLQR_MANAGER_PIN", "000000")
    assert main(["cashiers", "add", "Ana", "--demo"]) == 1
    assert "add refused: wrong PIN (4 tries left)" in capsys.readouterr().err
    monkeypatch.setenv("TILLQR_MANAGER_PIN", PIN)
    assert main(["cashiers", "add", "Ana", "--demo"]) == 0
    monkeypatch.setenv("TILLQR_CASHIER_PIN", "12")
    assert main(["cashiers", "add", "Bruno", "--demo"]) == 1
    assert "the PIN must be 4 to 6 digits" in capsys.readouterr().err
    assert main(["cashiers", "list", "--json", "--demo"]) == 0
    (ana,) = json_lines(capsys.readouterr().out)
    assert ana["name"] == "Ana" and ana["active"] is True and "pin" not in json.dumps(ana).lower()
    assert main(["cashiers", "rename", "ana", "Ana Souza", "--demo"]) == 0
    assert main(["cashiers", "deactivate", "Ana Souza", "--demo"]) == 0
    capsys.readouterr()
    assert main(["cashiers", "pin", "Ana Souza", "--demo"]) == 1
    assert "no active cashier called 'Ana Souza'" in capsys.readouterr().err
    assert main(["cashiers", "list", "--demo"]) == 0
    listed = capsys.readouterr().out
    assert "Ana Souza" in listed and "inactive" in listed


def test_a_sale_by_name_shows_in_the_journal_receipt_and_shift(home, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TILLQR_MANAGER_PIN", PIN)
    monkeypatch.setenv("TILLQR_CASHIER_PIN", "4821")
    assert main(["cashiers", "add", "Ana", "--demo"]) == 0
    capsys.readouterr()
    assert main(["charge", "4.00", "--demo", "--cashier", "Nobody"]) == 1
    assert "no active cashier called 'Nobody'" in capsys.readouterr().err
    assert main(["charge", "12.50", "--demo", "--cashier", "ana", "--pay-after", "0", "--wait", "20"]) == 0
    lines = json_lines(capsys.readouterr().out)
    assert set(lines[0]) == {
        "event",
        "sale_id",
        "request_id",
        "provider",
        "amount",
        "currency",
        "payload",
        "expires_at",
    }
    assert set(lines[-1]) == {"event", "sale_id", "status", "amount_received", "unlinked"}  # the contract, unchanged
    sale_id = lines[0]["sale_id"]
    assert main(["charge", "3.00", "--demo", "--pay-after", "0", "--wait", "20"]) == 0  # nobody named: no cashier
    capsys.readouterr()

    assert main(["journal", "list", "--json", "--demo"]) == 0
    cashiers = {r["sale_id"]: r["cashier"] for r in json_lines(capsys.readouterr().out)}
    assert cashiers[sale_id] == "Ana" and sorted(cashiers.values(), key=str) == ["Ana", None]
    out = tmp_path / "j.csv"
    assert main(["journal", "export", str(out), "--demo"]) == 0
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["sale_id", "created_at"] and rows[0][-1] == "cashier"
    assert {r[0]: r[-1] for r in rows[1:]}[sale_id] == "Ana"

    assert main(["journal", "receipt", sale_id, "--demo"]) == 0
    receipt = capsys.readouterr().out.splitlines()
    assert any(line.startswith("Cashier") and line.endswith("Ana") for line in receipt)
    assert main(["journal", "shift", "--demo"]) == 0
    report = capsys.readouterr().out.splitlines()
    at = report.index("By cashier")
    assert report[at + 1].startswith("  Ana (1)") and report[at + 1].endswith("12.50")
    assert any(line.startswith("  no cashier (1)") for line in report)
    assert main(["journal", "shift", "--demo", "--cashier", "ANA"]) == 0
    mine = capsys.readouterr().out.splitlines()
    assert "By cashier" not in mine and any(line.startswith("Cashier") and line.endswith("ANA") for line in mine)
    assert any(line.strip().startswith("Paid (1)") for line in mine)
    shift_csv = tmp_path / "shift.csv"
    assert main(["journal", "shift", "--demo", "--csv", str(shift_csv)]) == 0
    with open(shift_csv, encoding="utf-8-sig", newline="") as fh:
        shift_rows = list(csv.reader(fh))
    assert shift_rows[0][-1] == "cashier" and all(len(r) == len(shift_rows[0]) for r in shift_rows)
    by_cashier = {r[-1]: r[4:7] for r in shift_rows if r[0] == "cashier"}
    assert by_cashier["Ana"] == ["1", "12.50", "12.50"] and by_cashier["no cashier"] == ["1", "3.00", "3.00"]
    assert main(["journal", "shift", "--demo", "--cashier", "Ana", "--close"]) == 1
    assert "every cashier" in capsys.readouterr().err


def test_a_shift_report_for_a_mistyped_cashier_is_refused_in_words(home, monkeypatch, capsys):
    """``journal shift --cashier Zed`` printed an empty report ("No sales in this shift.") for a name nobody has."""
    monkeypatch.setenv("TILLQR_MANAGER_PIN", PIN)
    monkeypatch.setenv("TILLQR_CASHIER_PIN", "4821")
    assert main(["cashiers", "add", "Ana", "--demo"]) == 0
    assert main(["cashiers", "deactivate", "Ana", "--demo"]) == 0
    capsys.readouterr()
    assert main(["journal", "shift", "--demo", "--cashier", "Zed"]) == 1
    said = capsys.readouterr()
    assert "there is no cashier called 'Zed'" in said.err and "No sales" not in said.out
    assert main(["journal", "shift", "--demo", "--cashier", "ana"]) == 0  # known (inactive too): her empty shift
    assert "No sales in this shift." in capsys.readouterr().out
