"""The QR floor and the providers in the store's language: an amount refused, a provider that does not answer,
a payload's reasons and the printed sticker read as a person in a pt_BR or hi store reads them."""

from __future__ import annotations

import pytest

from app.domain.money import Money, MoneyError
from app.i18n import set_language
from app.providers.base import ProviderUnavailable
from app.qr import emv, schemes
from app.qr.sticker import languages, layout

UPI = schemes.upi_link("shop@okbank", payee_name="Corner Shop")
PIX = schemes.pix_static("fulano@example.com", merchant_name="Padaria Sao Joao", merchant_city="Recife")


@pytest.mark.parametrize(
    "typed, words",
    [
        ("", "digite um valor"),
        ("0", "o valor deve ser maior que zero"),
        ("12,345", "BRL tem 2 decimais: 12,345 tem decimais demais (a vírgula é lida como separador decimal"),
        ("2000000", "2000000 BRL é mais do que uma venda pode ser (no máximo 1.000.000 BRL); confira o valor"),
        ("12.5x", "'12.5x' não é um valor: use dígitos e um separador decimal, como 12,50"),
    ],
)
def test_an_amount_refused_reads_portuguese_in_a_pt_br_store(typed, words):
    set_language("pt_BR")
    with pytest.raises(MoneyError) as refused:
        Money.parse(typed, "BRL")
    assert words in str(refused.value)


def test_too_many_decimals_are_counted_in_spanish():
    set_language("es")
    with pytest.raises(MoneyError, match="KWD tiene 3 decimales: 1.2345 tiene demasiados"):
        Money.parse("1.2345", "KWD")


async def test_a_provider_that_drops_the_connection_is_said_in_portuguese(jpm, sb_http):
    set_language("pt_BR")
    dropped = await sb_http.post("/_sandbox/faults", json={"drop_rate": 1.0})
    assert dropped.status_code == 200
    with pytest.raises(ProviderUnavailable) as failed:
        await jpm.get_request("a" * 32)
    assert str(failed.value) == "jpmorgan: não pôde ser alcançado (a conexão falhou)"
    assert str(failed.value.words).startswith("O provedor de pagamento não responde.")


def test_a_payloads_reasons_read_in_the_store_language_and_stay_english_when_neutral():
    broken = PIX[:-4] + "0000"
    set_language("hi")
    said = emv.decode(broken)
    assert not said.valid and said.errors[0].startswith("CRC मेल नहीं खाता: पेलोड में 0000 है")
    set_language("")
    assert emv.decode(broken).errors[0].startswith("CRC mismatch: payload says 0000")


def test_a_sticker_in_a_hindi_store_speaks_hindi_first():
    set_language("hi")
    assert languages(None, "upi") == ["hi", "en"] and languages(None, "pix") == ["hi"]
    card = layout(UPI, store_name="Corner Shop")
    assert card.text("call") == ["स्कैन करें और भुगतान करें", "Scan to pay"]
    assert card.text("account") == ["UPI आईडी: shop@okbank"]
    assert card.text("name") == ["Corner Shop"]  # the store's name is printed as it is


def test_a_stickers_own_language_wins_over_the_stores():
    set_language("hi")
    card = layout(PIX, store_name="Padaria", lang="pt")
    assert card.text("call") == ["Escaneie para pagar"] and card.text("account") == ["Chave Pix: fulano@example.com"]
    with pytest.raises(ValueError, match="अज्ञात स्टिकर भाषा xx: pt, en, es"):
        layout(PIX, store_name="Padaria", lang="xx")
