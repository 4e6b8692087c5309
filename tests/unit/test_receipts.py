"""Receipts (app.receipts): the layout at 32 and 48 characters, the ESC/POS bytes to a device file and to a
network printer on 127.0.0.1, the [printer] setting."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config import settings as settings_mod
from app.config.settings import SettingsError
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.receipts.escpos_out import PrintFailed, escpos_bytes, send
from app.receipts.layout import NOT_FISCAL, receipt_lines, receipt_of
from app.receipts.printer import DeviceTarget, NetworkTarget, escpos_target, target_problem

LONG_NAME = "Padaria e Confeitaria Central do Bairro Alto"


def a_sale(**changes) -> Sale:
    base = dict(
        sale_id="3f2a9c1e" + "0" * 24,
        amount=Money.parse("1234.50", "BRL"),
        provider="depay",
        reference="table 4",
        status=SaleStatus.PARTIALLY_REFUNDED,
        request_id="734c1d11-a161-49e6-a2b6-52214210da8c",
        amount_received=Money.parse("1234.50", "BRL"),
        amount_refunded=Money.parse("34.50", "BRL"),
        created_at=datetime(2026, 11, 25, 14, 3, tzinfo=UTC),
    )
    base.update(changes)
    return Sale(**base)


@pytest.mark.parametrize("width", [32, 48])
def test_receipt_layout_fits_the_paper_and_right_aligns_amounts(width):
    lines = receipt_lines(receipt_of(a_sale(), LONG_NAME, "SAO PAULO", tz=UTC), width)
    assert all(len(line) <= width for line in lines)
    name_lines = lines[: lines.index("SAO PAULO".center(width).rstrip())]
    assert " ".join(part.strip() for part in name_lines) == LONG_NAME.upper()  # wrapped, nothing lost
    assert len(name_lines) == (2 if width == 32 else 1)  # 44 characters: wrapped on 58 mm paper only
    assert all(line == line.strip().center(width).rstrip() for line in name_lines)  # centred
    by_name = {line.split()[0]: line for line in lines if line and line[0].isalpha() and line[0] != "-"}
    for name, amount in (("Amount", "BRL 1234.50"), ("Received", "BRL 1234.50"), ("Refunded", "BRL 34.50")):
        assert by_name[name].startswith(name) and by_name[name].endswith(amount) and len(by_name[name]) == width
    assert by_name["Sale"].endswith("3f2a9c1e") and by_name["Date"].endswith("2026-11-25 14:03")
    assert by_name["Status"].endswith("Part refunded")
    assert "734c1d11-a161-49e6-a2b6-52214210da8c" in "".join(line.strip() for line in lines)
    assert lines[-1].strip() == str(NOT_FISCAL)
    assert not any(line.startswith("Cashier") for line in lines)  # no cashier given: no line


def test_a_cashier_line_when_given_and_no_refund_line_when_nothing_was_refunded():
    sale = a_sale(status=SaleStatus.SETTLED, amount_refunded=None)
    lines = receipt_lines(receipt_of(sale, "Shop", "", cashier="Ana"), 32)
    assert any(line.startswith("Cashier") and line.endswith("Ana") for line in lines)
    assert not any(line.startswith("Refunded") for line in lines)
    assert any(line.startswith("Status") and line.endswith("Paid") for line in lines)


def test_escpos_bytes_to_a_device_file(tmp_path):
    lines = receipt_lines(receipt_of(a_sale(), "Padaria São João", "SAO PAULO"), 32)
    device = tmp_path / "lp0"
    send(lines, DeviceTarget(device))
    data = device.read_bytes()
    assert data == escpos_bytes(lines)
    assert data.startswith(b"\x1b@")  # ESC @: initialise
    assert data.endswith(b"\x1dV\x00")  # GS V 0: full cut (after feeding the paper)
    assert b"Amount               BRL 1234.50\n" in data
    assert b"PADARIA S" in data and b"O JO" in data  # São João: the printer's code page, not UTF-8
    assert b"\xc3" not in data


def test_escpos_qr_is_printed_by_the_printer():
    data = escpos_bytes(["x"], qr="3f2a9c1e")
    assert b"\x1d(k" in data and b"1P03f2a9c1e" in data  # GS ( k: store the data, then print it


def test_escpos_to_a_network_printer_on_127_0_0_1():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    got: list[bytes] = []

    def receive() -> None:
        conn, _ = server.accept()
        with conn:
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
            got.append(b"".join(chunks))

    thread = threading.Thread(target=receive)
    thread.start()
    try:
        send(["hello"], NetworkTarget("127.0.0.1", port))
        thread.join(timeout=10)
    finally:
        server.close()
    assert got == [escpos_bytes(["hello"])]


def test_an_unreachable_printer_is_said_in_words(tmp_path):
    with pytest.raises(PrintFailed, match="cannot be reached"):
        send(["x"], DeviceTarget(tmp_path / "no-such-folder" / "lp0"))


def test_a_folder_named_as_the_printer_is_said_as_such(tmp_path):
    with pytest.raises(PrintFailed, match="is a folder, not the receipt printer's device"):
        send(["x"], DeviceTarget(tmp_path))
    assert list(tmp_path.iterdir()) == []  # nothing written there


def test_printer_targets():
    assert escpos_target("/dev/usb/lp0") == DeviceTarget(Path("/dev/usb/lp0"))
    assert escpos_target("192.168.1.50") == NetworkTarget("192.168.1.50", 9100)
    assert escpos_target("printer.local:9101") == NetworkTarget("printer.local", 9101)
    assert target_problem("escpos", 58, "") is not None
    assert "port" in (target_problem("escpos", 58, "host:99999") or "")
    assert "width_mm" in (target_problem("pdf", 57, "") or "")
    assert "kind" in (target_problem("laser", 80, "") or "")
    assert target_problem("system", 80, "") is None and target_problem("none", 58, "") is None


def test_the_printer_section_of_config_toml(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[printer]\nkind = "escpos"\nwidth_mm = 58\ntarget = "/dev/usb/lp0"\n')
    s = settings_mod.load(path)
    assert s is not None and (s.printer_kind, s.printer_width_mm, s.printer_target) == ("escpos", 58, "/dev/usb/lp0")
    assert settings_mod.Settings().printer_kind == "none"  # no section: today's behaviour, no printer
    path.write_text('[printer]\nkind = "escpos"\n')
    with pytest.raises(SettingsError, match="printer.target"):
        settings_mod.load(path)
    path.write_text("[printer]\nwidth_mm = 60\n")
    with pytest.raises(SettingsError, match="printer.width_mm"):
        settings_mod.load(path)
