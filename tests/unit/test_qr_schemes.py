"""Pix BR Code builders: static reproduces Banco Central's example, dynamic carries the location."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.money import Money
from app.qr.emv import decode
from app.qr.schemes import ascii_text, pix_dynamic, pix_location, pix_static

BCB_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
LOCATION = "pix.example.com/qr/v2/9d36b84fc70b478fb95c12729b90ca25"


def test_pix_static_reproduces_the_bcb_example() -> None:
    key = "123e4567-e12b-12d1-a456-426655440000"
    assert pix_static(key, merchant_name="Fulano de Tal", merchant_city="BRASILIA") == BCB_STATIC


def test_pix_static_with_amount_and_description() -> None:
    p = pix_static("+5561999999999", merchant_name="Loja", merchant_city="Recife",
                   amount=Money.parse("7", "BRL"), txid="PEDIDO123", description="Pedido 123")
    d = decode(p)
    assert d.valid and d.scheme == "pix"
    assert d.fields["26"] == {"00": "br.gov.bcb.pix", "01": "+5561999999999", "02": "Pedido 123"}
    assert d.fields["54"] == "7.00" and d.fields["62"] == {"05": "PEDIDO123"}
    assert "01" not in d.fields
    assert pix_location(p) is None


def test_pix_dynamic_decodes_with_location() -> None:
    p = pix_dynamic(LOCATION, merchant_name="Padaria", merchant_city="Sao Paulo",
                    amount=Money.parse("12.50", "BRL"))
    d = decode(p)
    assert d.valid and d.crc_ok and d.scheme == "pix", d.errors
    assert d.fields["01"] == "12"
    assert d.fields["26"] == {"00": "br.gov.bcb.pix", "25": LOCATION}
    assert d.fields["54"] == "12.50" and d.fields["53"] == "986" and d.fields["58"] == "BR"
    assert d.fields["62"] == {"05": "***"}
    assert pix_location(p) == LOCATION


def test_pix_dynamic_without_amount_and_https_prefix_removed() -> None:
    p = pix_dynamic("https://" + LOCATION, merchant_name="X", merchant_city="Y")
    assert "54" not in decode(p).fields
    assert pix_location(p) == LOCATION


def test_names_are_transliterated_and_truncated() -> None:
    p = pix_dynamic(LOCATION, merchant_name="Padaria São João do Açaí Ltda ME",
                    merchant_city="São José dos Campos")
    f = decode(p).fields
    assert f["59"] == "Padaria Sao Joao do Acai" and len(f["59"]) <= 25
    assert f["60"] == "Sao Jose dos Ca" and len(f["60"]) <= 15
    assert ascii_text("  Ünïcode\tname  ") == "Unicode name"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"location": ""}, "location is empty"),
    ({"location": "http://" + LOCATION}, "https"),
    ({"location": "pix.example.com/" + "a" * 70}, "at most 77"),
    ({"location": "pix.example.com/a b"}, "printable"),
    ({"merchant_name": "最佳"}, "merchant name is empty"),
    ({"merchant_city": "  "}, "merchant city is empty"),
    ({"amount": Money.parse("12.50", "USD")}, "BRL"),
    ({"amount": Money(0, "BRL")}, "more than zero"),
    ({"amount": "12.50"}, "must be Money"),
    ({"txid": "abc-123"}, "txid"),
    ({"txid": "a" * 26}, "txid"),
])
def test_pix_dynamic_rejects_bad_input(kwargs: dict, message: str) -> None:
    args = {"location": LOCATION, "merchant_name": "Shop", "merchant_city": "Rio", **kwargs}
    location = args.pop("location")
    with pytest.raises(ValueError, match=message):
        pix_dynamic(location, **args)


def test_pix_static_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="key is empty"):
        pix_static(" ", merchant_name="a", merchant_city="b")
    with pytest.raises(ValueError, match="too long"):
        pix_static("k" * 60, merchant_name="a", merchant_city="b", description="d" * 30)
    with pytest.raises(ValueError, match="description is empty"):
        pix_static("k", merchant_name="a", merchant_city="b", description="最")


def test_pix_location_of_invalid_or_other_payloads_is_none() -> None:
    p = pix_dynamic(LOCATION, merchant_name="Shop", merchant_city="Rio")
    assert pix_location(p[:-1]) is None
    assert pix_location(p[:-4] + "0000") is None
    assert pix_location("") is None
    assert pix_location("upi://pay?pa=a@b") is None


@given(
    loc=st.from_regex(r"\A[a-z0-9.]{1,20}/[A-Za-z0-9/._-]{1,50}\Z"),
    name=st.text(min_size=1, max_size=40).filter(lambda s: ascii_text(s)),
    city=st.text(min_size=1, max_size=30).filter(lambda s: ascii_text(s)),
    cents=st.none() | st.integers(1, 10**8),
)
def test_pix_dynamic_property(loc: str, name: str, city: str, cents: int | None) -> None:
    amount = None if cents is None else Money(cents, "BRL")
    p = pix_dynamic(loc, merchant_name=name, merchant_city=city, amount=amount)
    d = decode(p)
    assert d.valid and d.scheme == "pix", d.errors
    assert pix_location(p) == loc
    if amount is not None:
        assert d.fields["54"] == str(amount)
