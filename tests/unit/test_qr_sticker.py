"""The counter sticker's layout and SVG (Qt-free); PNG and PDF are tested through the CLI (e2e)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.domain.money import Money
from app.qr import schemes
from app.qr.sticker import DEFAULT_LANG, SCAN_TO_PAY, fit, languages, layout, to_svg

SVG = "{http://www.w3.org/2000/svg}"
PIX = schemes.pix_static(
    "fulano@example.com", merchant_name="Padaria Sao Joao", merchant_city="Recife", amount=Money.parse("12.50", "BRL")
)


def test_layout_has_mark_qr_name_amount_call_and_account() -> None:
    card = layout(PIX, store_name="Padaria São João")
    assert card.scheme == "pix" and card.payload == PIX
    assert card.text("mark") == ["Pix"]
    assert card.text("name") == ["Padaria São João"]
    assert card.text("amount") == ["R$\xa012,50"]  # Babel keeps the symbol with its amount
    assert card.text("call") == ["Escaneie para pagar"]
    assert card.text("account") == ["Chave Pix: fulano@example.com"]
    qr = card.qr
    assert qr is not None and qr.border == 4 and qr.modules == len(qr.matrix) + 8
    assert (
        0 < qr.x and qr.x + qr.size < card.width and qr.y + qr.size < min(t.y for t in card.texts if t.role == "name")
    )


@pytest.mark.parametrize(
    ("payload", "mark", "calls"),
    [
        (schemes.paynow(uen="201403121W", merchant_name="ACME"), "PayNow", ["Scan to pay"]),
        (schemes.fps(fps_id="1234567", merchant_name="Dim Sum"), "FPS 轉數快", ["Scan to pay"]),
        (schemes.upi_link("shop@okbank", payee_name="Corner Shop"), "UPI", ["Scan to pay", SCAN_TO_PAY["hi"]]),
        (
            schemes.upi_emv("shop@okbank", merchant_name="Corner Shop", merchant_city="Mumbai"),
            "UPI",
            ["Scan to pay", SCAN_TO_PAY["hi"]],
        ),
    ],
)
def test_each_scheme_has_its_mark_and_default_language(payload: str, mark: str, calls: list[str]) -> None:
    card = layout(payload)
    assert card.text("mark") == [mark] and card.text("call") == calls
    assert card.text("name")[0] in ("ACME", "Dim Sum", "Corner Shop")


def test_languages() -> None:
    assert DEFAULT_LANG["pix"] == "pt" and languages(None, "pix") == ["pt"]
    assert languages("EN/zh-HK", "fps") == ["en", "zh-hk"]
    assert languages("es", "upi") == ["es"]
    with pytest.raises(ValueError, match="unknown sticker language"):
        languages("xx", "pix")
    card = layout(PIX, lang="en")
    assert card.text("call") == ["Scan to pay"] and card.text("amount") == ["R$12.50"]  # CLDR English


def test_refuses_invalid_payloads_and_nameless_stickers() -> None:
    with pytest.raises(ValueError, match="refusing to print"):
        layout(PIX[:-1] + ("0" if PIX[-1] != "0" else "1"))
    with pytest.raises(ValueError, match="store's name"):
        layout(PIX, store_name="  ")


def test_long_names_shrink_to_fit() -> None:
    assert fit("Shop", 8, 88) == 8
    long = fit("W" * 20, 8, 88, bold=True)
    assert long < 8 and long * 20 * 0.72 <= 88.001
    assert fit("W" * 200, 8, 88, bold=True) == 8 / 3  # never unreadably small
    card = layout(PIX, store_name="Padaria e Confeitaria São João do Açaí Ltda")
    name = next(t for t in card.texts if t.role == "name")
    assert name.size < 8


def test_svg_is_xml_with_the_payload_name_and_a_whole_module_qr() -> None:
    card = layout(PIX, store_name="Padaria <São> & João")
    root = ET.fromstring(to_svg(card))
    assert root.tag == f"{SVG}svg" and root.get("width") == "100mm"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Padaria <São> & João" in texts and "Pix" in texts and "Escaneie para pagar" in texts
    assert root.find(f"{SVG}desc").text == PIX
    path = root.find(f"{SVG}g/{SVG}path").get("d")
    dark = sum(int(seg.split("h")[1].split("v")[0]) for seg in path.split("M")[1:])
    assert dark == sum(sum(row) for row in card.qr.matrix)


def test_an_upi_sticker_amount_is_written_as_india_writes_it() -> None:
    from app.domain.money import Money
    from app.qr.schemes_upi import upi_link

    card = layout(upi_link("shop@okbank", payee_name="Kirana", amount=Money.parse("1250.00", "INR")), lang="hi/en")
    assert card.text("amount") == ["₹1,250.00"]
