"""`tillqr qr decode` and `tillqr qr build` run as real commands in a subprocess.

Decode: the JSON of the contract on stdout, exit 0 when valid and 1 with the reasons (also on
stderr) when not, and never a traceback, for each kind of malformed payload. Build: each scheme's
payload decodes cleanly; the PNG sticker scans back (zxing-cpp) to exactly the printed payload,
the SVG is XML holding the store's name, and the PDF is a PDF (rendered and scanned when pdftoppm
is installed).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from app.qr.emv import crc16, decode

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BCB = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


def tillqr(*args: str | bytes, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, **(env or {}))
    full.pop("QT_QPA_PLATFORM", None)  # the command must cope on its own
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, env=full, timeout=120)


def _json(proc: subprocess.CompletedProcess) -> dict:
    out = json.loads(proc.stdout.decode("utf-8"))
    assert set(out) == {"valid", "crc_ok", "scheme", "fields", "errors", "warnings"}
    return out


def _with_crc(body: str) -> str:
    return body + "6304" + crc16(body + "6304")


def test_decode_valid_prints_the_json_and_exits_0() -> None:
    proc = tillqr("qr", "decode", BCB)
    assert proc.returncode == 0, proc.stderr
    out = _json(proc)
    assert out == {
        "valid": True,
        "crc_ok": True,
        "scheme": "pix",
        "errors": [],
        "warnings": [],
        "fields": {
            "00": "01",
            "26": {"00": "br.gov.bcb.pix", "01": "123e4567-e12b-12d1-a456-426655440000"},
            "52": "0000",
            "53": "986",
            "58": "BR",
            "59": "Fulano de Tal",
            "60": "BRASILIA",
            "62": {"05": "***"},
            "63": "1D3D",
        },
    }
    assert proc.stderr == b""


def test_decode_a_upi_link() -> None:
    proc = tillqr("qr", "decode", "upi://pay?pa=shop@okbank&pn=Corner%20Shop&am=12.50&cu=INR")
    assert proc.returncode == 0
    assert _json(proc)["fields"] == {"pa": "shop@okbank", "pn": "Corner Shop", "am": "12.50", "cu": "INR"}


MALFORMED = [
    ("truncated", BCB[:-3], "declares 4 characters but only 1 remain"),
    ("truncated-header", BCB[:7], "truncated at position 6"),
    ("bad-length", BCB.replace("5913Fulano de Tal", "5914Fulano de Tal"), "CRC mismatch"),
    ("length-past-end", "000201599912", "declares 99 characters but only 2 remain"),
    ("bad-crc", BCB[:-4] + "1D3E", "CRC mismatch: payload says 1D3E, computed 1D3D"),
    ("non-numeric-length", BCB.replace("5913", "59x3"), "length 'x3' of tag 59"),
    ("unicode-digit-length", BCB.replace("5913", "59١٣"), "is not two digits"),
    ("trailing-bytes", BCB + "00", "must be the last field; 2 character(s) follow it"),
    ("trailing-newline", BCB + "\n", "truncated"),
    ("empty", "", "empty payload"),
    ("non-ascii-garbage", "ÿØÿà 最佳", "is not two digits"),
    (
        "amount-decimals",
        _with_crc(BCB[:-8].replace("5802BR", "540612.3455802BR")),
        "has 3 decimals, but BRL (986) has 2",
    ),
    ("missing-tags", _with_crc("000201"), "missing mandatory tag 52"),
    ("upi-without-payee", "upi://pay?pn=Shop&am=1,5", "missing parameter 'pa'"),
]


TOLERATED = [
    ("lower-case-crc", BCB[:-4] + "1d3d", "CRC in lower-case hex: '1d3d'"),
    (
        "non-ascii-name",
        _with_crc(BCB[:-8].replace("5913Fulano de Tal", "5913Fulano de Tál")),
        "tag 59 has characters outside printable ASCII: U+00E1",
    ),
    (
        "utf8-name-and-emoji",
        _with_crc(BCB[:-8].replace("5913Fulano de Tal", "5918Padaria São João ☕")),
        "U+2615 '☕'",
    ),
    (
        "lengths-in-utf8-bytes",
        _with_crc(BCB[:-8].replace("5913Fulano de Tal", "5922Padaria São João ☕")),
        "its length 22 counts UTF-8 bytes, not characters (read as 18 characters)",
    ),
]


@pytest.mark.parametrize(("payload", "reason"), [(p, r) for _, p, r in TOLERATED], ids=[n for n, _, _ in TOLERATED])
def test_decode_what_apps_read_anyway_exits_0_with_warnings(payload: str, reason: str) -> None:
    proc = tillqr("qr", "decode", payload)
    out = _json(proc)
    assert proc.returncode == 0, out
    assert out["valid"] is True and out["errors"] == [] and any(reason in w for w in out["warnings"]), out
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err and all(f"tolerated: {w}" in err for w in out["warnings"])


@pytest.mark.parametrize(("payload", "reason"), [(p, r) for _, p, r in MALFORMED], ids=[n for n, _, _ in MALFORMED])
def test_decode_malformed_exits_1_with_the_reason(payload: str, reason: str) -> None:
    proc = tillqr("qr", "decode", payload)
    assert proc.returncode == 1
    out = _json(proc)
    assert out["valid"] is False and any(reason in e for e in out["errors"]), out["errors"]
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err and reason in err
    assert all(f"invalid: {e}" in err for e in out["errors"])


def test_decode_undecodable_bytes_and_an_ascii_only_terminal() -> None:
    proc = tillqr("qr", "decode", b"0002\xff01")  # argv bytes that are not UTF-8
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    assert "undecodable byte" in _json(proc)["errors"][0]
    chinese = (
        "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
        "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
        "540523.7253031565502016233030412340603***0708A60086670902ME"
        "91320016A0112233449988770708123456786304A13A"
    )
    proc = tillqr("qr", "decode", chinese, env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"})
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["fields"]["64"]["01"] == "最佳运输"


def test_payload_starting_with_a_dash_needs_the_usual_double_dash() -> None:
    proc = tillqr("qr", "decode", "--", "-0020101")
    assert proc.returncode == 1 and _json(proc)["errors"][0].startswith("tag '-0'")


# -- build --------------------------------------------------------------------------------
BUILDS = [
    (
        "pix",
        [
            "--key",
            "fulano@example.com",
            "--name",
            "Padaria São João",
            "--city",
            "São Paulo",
            "--amount",
            "12.50",
            "--txid",
            "PEDIDO42",
        ],
        "Padaria São João",
    ),
    ("pix", ["--location", "pix.example.com/qr/v2/9d36b84f", "--name", "Padaria", "--city", "Recife"], "Padaria"),
    (
        "paynow",
        [
            "--uen",
            "201403121W",
            "--name",
            "ACME Pte Ltd",
            "--amount",
            "8.80",
            "--reference",
            "INV42",
            "--expiry",
            "2030-12-31",
        ],
        "ACME Pte Ltd",
    ),
    ("paynow", ["--mobile", "+65 9123 4567", "--name", "Corner Shop"], "Corner Shop"),
    (
        "fps",
        ["--fps-id", "1234567", "--name", "Dim Sum House", "--amount", "88", "--reference", "T42"],
        "Dim Sum House",
    ),
    ("fps", ["--email", "shop@example.hk", "--name", "Tea", "--currency", "CNY"], "Tea"),
    (
        "upi",
        [
            "--vpa",
            "shop@okbank",
            "--name",
            "Corner Shop",
            "--amount",
            "99",
            "--note",
            "tea & cake",
            "--reference",
            "ORD42",
        ],
        "Corner Shop",
    ),
    (
        "upi",
        [
            "--vpa",
            "shop@okbank",
            "--name",
            "Corner Shop",
            "--emv",
            "--city",
            "Mumbai",
            "--mcc",
            "5411",
            "--postal-code",
            "400001",
        ],
        "Corner Shop",
    ),
]


@pytest.mark.parametrize(("scheme", "options", "store"), BUILDS, ids=[f"{b[0]}-{i}" for i, b in enumerate(BUILDS)])
def test_build_prints_a_payload_that_decodes(scheme: str, options: list[str], store: str) -> None:
    proc = tillqr("qr", "build", scheme, *options)
    assert proc.returncode == 0, proc.stderr
    payload = proc.stdout.decode("utf-8").strip()
    d = decode(payload)
    assert d.valid and d.scheme == scheme, d.errors
    back = tillqr("qr", "decode", payload)
    assert back.returncode == 0 and _json(back)["scheme"] == scheme


@pytest.mark.parametrize(
    ("scheme", "options", "store"), [BUILDS[0], BUILDS[2], BUILDS[4], BUILDS[6]], ids=["pix", "paynow", "fps", "upi"]
)
def test_build_writes_stickers_that_scan_to_the_printed_payload(scheme, options, store, tmp_path: Path) -> None:
    png, svg, pdf = tmp_path / "s.png", tmp_path / "s.svg", tmp_path / "s.pdf"
    proc = tillqr("qr", "build", scheme, *options, "--png", str(png), "--svg", str(svg), "--pdf", str(pdf))
    assert proc.returncode == 0, proc.stderr
    payload = proc.stdout.decode("utf-8").strip()
    assert b"Traceback" not in proc.stderr

    image = Image.open(io.BytesIO(png.read_bytes()))
    assert image.size == (1181, 1772)  # 100 x 150 mm at 300 dpi
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [payload]

    root = ET.fromstring(svg.read_text("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and store in [t.text for t in root.iter(f"{ns}text")]
    assert root.find(f"{ns}desc").text == payload

    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"%%EOF" in data[-64:]
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed: the PDF was not rendered")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True, timeout=60
    )
    page = Image.open(tmp_path / "page.png")
    assert abs(page.size[0] - 787) <= 2 and abs(page.size[1] - 1181) <= 2  # 100 x 150 mm at 200 dpi
    assert [r.text for r in zxingcpp.read_barcodes(page)] == [payload]


def test_sticker_languages_and_fallbacks(tmp_path: Path) -> None:
    svg = tmp_path / "s.svg"
    proc = tillqr("qr", "build", "upi", "--vpa", "shop@okbank", "--name", "Corner Shop", "--svg", str(svg))
    assert proc.returncode == 0
    texts = [t.text for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert "Scan to pay" in texts and "स्कैन करें और भुगतान करें" in texts and "UPI" in texts
    proc = tillqr(
        "qr", "build", "fps", "--fps-id", "1234567", "--name", "Dim Sum", "--lang", "zh-hk", "--svg", str(svg)
    )
    texts = [t.text for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert proc.returncode == 0 and "掃碼付款" in texts and "FPS 轉數快" in texts


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["pix", "--key", "fulano@example.com", "--city", "Rio"], "--name is required"),
        (["pix", "--key", "fulano@example.com", "--name", "x", "--city", "Rio", "--amount", "1.234"], "too many"),
        (
            [
                "pix",
                "--key",
                "fulano@example.com",
                "--name",
                "x",
                "--city",
                "Rio",
                "--currency",
                "USD",
                "--amount",
                "1",
            ],
            "BRL",
        ),
        (["paynow", "--mobile", "123", "--name", "x"], "PayNow mobile"),
        (["paynow", "--uen", "201403121W", "--expiry", "2030-02-30"], "--expiry"),
        (["fps", "--fps-id", "12", "--name", "x"], "FPS ID"),
        (["upi", "--vpa", "nobody", "--name", "x"], "name@bank"),
        (["upi", "--vpa", "a@b", "--name", "x", "--emv"], "--city is required"),
        (["paynow", "--uen", "201403121W", "--svg", "/nonexistent-dir/s.svg", "--name", "x"], "cannot write the SVG"),
        (["paynow", "--uen", "201403121W", "--svg", "out.svg"], "needs the store's name"),
        (
            ["pix", "--key", "fulano@example.com", "--name", "x", "--city", "Rio", "--svg", "out.svg", "--lang", "xx"],
            "unknown sticker",
        ),
    ],
)
def test_build_errors_exit_1_with_the_reason(args: list[str], reason: str, tmp_path: Path) -> None:
    proc = tillqr("qr", "build", *args)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1 and reason in err and "Traceback" not in err
    assert proc.stdout == b""


def test_decode_of_a_payload_that_starts_like_an_option_is_still_decoded():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "app", "qr", "decode", "-x"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1 and '"valid": false' in out.stdout and "Traceback" not in out.stderr


def test_build_warns_when_the_name_and_city_are_cut_to_the_standards_limits() -> None:
    proc = tillqr(
        "qr",
        "build",
        "pix",
        "--key",
        "fulano@example.com",
        "--name",
        "Padaria Central de São Paulo Ltda ME",
        "--city",
        "São José dos Campos",
    )
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 0 and "5925Padaria Central de Sao Pa" in proc.stdout.decode()
    assert "warning: --name" in err and "'Padaria Central de Sao Pa'" in err and "ulo Ltda ME" in err
    assert "warning: --city" in err and "'Sao Jose dos Ca'" in err
    short = tillqr("qr", "build", "pix", "--key", "fulano@example.com", "--name", "Padaria", "--city", "Recife")
    assert short.returncode == 0 and short.stderr == b""


@pytest.mark.parametrize(
    "key",
    ["12345678909", "11222333000181", "+5561999999999", "fulano@example.com", "123e4567-e12b-12d1-a456-426655440000"],
)
def test_build_accepts_each_kind_of_pix_key(key: str) -> None:
    proc = tillqr("qr", "build", "pix", "--key", key, "--name", "Loja", "--city", "Recife")
    assert proc.returncode == 0 and key in proc.stdout.decode(), proc.stderr


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("k", "not a Pix key"),
        ("12345678900", "not a valid CPF"),
        ("11222333000182", "not a valid CNPJ"),
        ("123.456.789-09", "digits only"),
        ("+1555123456", "+55"),
        ("fulano@", "not a Pix key"),
    ],
)
def test_build_refuses_what_is_not_a_pix_key(key: str, reason: str) -> None:
    proc = tillqr("qr", "build", "pix", "--key", key, "--name", "Loja", "--city", "Recife")
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1 and "--key" in err and reason in err and proc.stdout == b"", err
