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
    p = pix_static(
        "+5561999999999",
        merchant_name="Loja",
        merchant_city="Recife",
        amount=Money.parse("7", "BRL"),
        txid="PEDIDO123",
        description="Pedido 123",
    )
    d = decode(p)
    assert d.valid and d.scheme == "pix"
    assert d.fields["26"] == {"00": "br.gov.bcb.pix", "01": "+5561999999999", "02": "Pedido 123"}
    assert d.fields["54"] == "7.00" and d.fields["62"] == {"05": "PEDIDO123"}
    assert "01" not in d.fields
    assert pix_location(p) is None


def test_pix_dynamic_decodes_with_location() -> None:
    p = pix_dynamic(LOCATION, merchant_name="Padaria", merchant_city="Sao Paulo", amount=Money.parse("12.50", "BRL"))
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
    p = pix_dynamic(LOCATION, merchant_name="Padaria São João do Açaí Ltda ME", merchant_city="São José dos Campos")
    f = decode(p).fields
    assert f["59"] == "Padaria Sao Joao do Acai" and len(f["59"]) <= 25
    assert f["60"] == "Sao Jose dos Ca" and len(f["60"]) <= 15
    assert ascii_text("  Ünïcode\tname  ") == "Unicode name"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
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
    ],
)
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


# -- PayNow, FPS, UPI ------------------------------------------------------------------------
from datetime import date  # noqa: E402

from hypothesis import assume, settings  # noqa: E402

from app.qr.emv import encode  # noqa: E402
from app.qr.schemes import fps, paynow, upi_emv, upi_link  # noqa: E402


def test_paynow_mobile_with_amount_reference_and_expiry() -> None:
    p = paynow(
        mobile="9123 4567",
        merchant_name="Corner Shop",
        amount=Money.parse("12.50", "SGD"),
        reference="INV42",
        expiry=date(2030, 1, 31),
    )
    d = decode(p)
    assert d.valid and d.scheme == "paynow", d.errors
    assert d.fields["01"] == "12"
    assert d.fields["26"] == {"00": "SG.PAYNOW", "01": "0", "02": "+6591234567", "03": "0", "04": "20300131"}
    assert (d.fields["53"], d.fields["54"], d.fields["58"], d.fields["59"], d.fields["60"]) == (
        "702",
        "12.50",
        "SG",
        "Corner Shop",
        "Singapore",
    )
    assert d.fields["62"] == {"01": "INV42"}


def test_paynow_uen_static_is_editable() -> None:
    d = decode(paynow(uen="201403121w", merchant_name="ACME Pte Ltd"))
    assert d.valid and d.fields["01"] == "11" and "54" not in d.fields
    assert d.fields["26"] == {"00": "SG.PAYNOW", "01": "2", "02": "201403121W", "03": "1"}


def test_paynow_reproduces_odoo_and_pypaynowsg_codes() -> None:
    # github.com/odoo/odoo addons/l10n_sg/tests/test_l10n_sg_emv_qr.py builds this same code
    odoo = (
        "00020101021226400009SG.PAYNOW010120213200002150HWCF0301052040000530370254031005802SG"
        "5914company_1_data6009Singapore62170113INV/TEST/0001630416C8"
    )
    fields = decode(odoo).fields
    assert fields["54"] == "100" and encode(decode(odoo)) == odoo
    mine = paynow(
        uen="200002150HWCF",
        merchant_name="company_1_data",
        amount=Money.parse("100", "SGD"),
        editable=False,
        reference="INV/TEST/0001",
    )
    # the same fields, except that TillQR writes amounts with the currency's decimals ("100.00")
    theirs = {**fields, "54": "100.00"}
    assert {k: v for k, v in decode(mine).fields.items() if k != "63"} == {k: v for k, v in theirs.items() if k != "63"}


def test_fps_payees() -> None:
    d = decode(fps(fps_id="1234567", merchant_name="Dim Sum", amount=Money.parse("88", "HKD"), reference="T1"))
    assert d.valid and d.scheme == "fps" and d.fields["26"] == {"00": "hk.com.hkicl", "02": "1234567"}
    assert (d.fields["01"], d.fields["53"], d.fields["54"], d.fields["58"], d.fields["62"]) == (
        "12",
        "344",
        "88.00",
        "HK",
        {"05": "T1"},
    )
    d = decode(fps(mobile="+852 9123 4567"))
    assert d.valid and d.fields["26"]["03"] == "+852-91234567" and d.fields["01"] == "11"
    d = decode(fps(email="shop@example.hk", currency="CNY", bill_number="B1"))
    assert d.valid and d.fields["26"]["04"] == "shop@example.hk" and d.fields["53"] == "156"
    assert d.fields["62"] == {"01": "B1"}


def test_fps_reproduces_odoo_code() -> None:
    odoo = (
        "00020101021226330012hk.com.hkicl0313+852-678912345204000053033445405100.55802HK"
        "5914company_1_data6002HK62170513INV/TEST/000263049E64"
    )
    mine = fps(
        mobile="+852-67891234",
        merchant_name="company_1_data",
        merchant_city="HK",
        amount=Money.parse("100.5", "HKD"),
        reference="INV/TEST/0002",
    )
    theirs = decode(odoo).fields
    assert decode(mine).fields == {**theirs, "54": "100.50", "63": decode(mine).fields["63"]}


def test_upi_link_encoding() -> None:
    link = upi_link(
        "shop@okbank",
        payee_name="Corner Shop & Co",
        amount=Money.parse("12.5", "INR"),
        note="Order #42 + tip",
        reference="ORD42",
        mcc="5411",
    )
    assert link == (
        "upi://pay?pa=shop@okbank&pn=Corner%20Shop%20%26%20Co&mc=5411&tr=ORD42&am=12.50&cu=INR"
        "&tn=Order%20%2342%20%2B%20tip"
    )
    d = decode(link)
    assert d.valid and d.fields["pn"] == "Corner Shop & Co" and d.fields["tn"] == "Order #42 + tip"
    assert encode(d) == link
    hindi = upi_link("shop@okbank", payee_name="किराना स्टोर")
    assert hindi.isascii() and decode(hindi).fields["pn"] == "किराना स्टोर" and encode(decode(hindi)) == hindi


def test_upi_emv_form() -> None:
    p = upi_emv(
        "shop@okbank",
        merchant_name="Corner Shop",
        merchant_city="Mumbai",
        amount=Money.parse("12.5", "INR"),
        reference="ORD42",
        mcc="5411",
        postal_code="400001",
    )
    d = decode(p)
    assert d.valid and d.scheme == "upi", d.errors
    assert d.fields["26"] == {"00": "A000000524", "01": "shop@okbank"}
    assert d.fields["27"] == {"00": "A000000524", "01": "ORD42"}
    assert (d.fields["52"], d.fields["53"], d.fields["54"], d.fields["58"], d.fields["61"]) == (
        "5411",
        "356",
        "12.50",
        "IN",
        "400001",
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: paynow(), "exactly one PayNow proxy"),
        (lambda: paynow(mobile="91234567", uen="201403121W"), "exactly one"),
        (lambda: paynow(mobile="1234"), "PayNow mobile"),
        (lambda: paynow(uen="12"), "UEN"),
        (lambda: paynow(mobile="91234567", amount=Money.parse("1", "BRL")), "SGD"),
        (lambda: paynow(mobile="91234567", reference="r" * 26), "at most 25"),
        (lambda: fps(), "exactly one FPS payee"),
        (lambda: fps(fps_id="12"), "FPS ID"),
        (lambda: fps(mobile="123"), "FPS mobile"),
        (lambda: fps(email="nobody"), "e-mail"),
        (lambda: fps(fps_id="1234567", currency="USD"), "HKD or CNY"),
        (lambda: upi_link("nobody", payee_name="x"), "name@bank"),
        (lambda: upi_link("a@b", payee_name=" "), "payee name is empty"),
        (lambda: upi_link("a@b", payee_name="x", reference="has space"), "transaction reference"),
        (lambda: upi_link("a@b", payee_name="x", note="n" * 51), "at most 50"),
        (lambda: upi_link("a@b", payee_name="x", mcc="12"), "merchant category code"),
        (lambda: upi_emv("a@b", merchant_name="x", merchant_city="y", postal_code="12"), "PIN code"),
        (lambda: upi_emv("a@b", merchant_name="x", merchant_city="y", amount=Money.parse("1", "USD")), "INR"),
    ],
)
def test_builders_refuse_bad_input(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


# -- properties: every scheme round-trips, and any one-character corruption is caught --------
_names = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30).filter(
    lambda s: ascii_text(s)
)
_refs = st.none() | st.from_regex(r"\A[A-Za-z0-9]{1,25}\Z")


def _money(currency: str) -> st.SearchStrategy[Money | None]:
    return st.none() | st.integers(1, 10**8).map(lambda c: Money(c, currency))


@st.composite
def any_scheme_payload(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["pix-static", "pix-dynamic", "paynow", "fps", "upi-emv", "upi-link"]))
    name, city = draw(_names), draw(_names)
    if kind == "pix-static":
        key = draw(st.from_regex(r"\A[a-z0-9.]{1,20}@[a-z]{1,10}\.com\Z"))
        return "pix", pix_static(
            key, merchant_name=name, merchant_city=city, amount=draw(_money("BRL")), txid=draw(_refs) or "***"
        )
    if kind == "pix-dynamic":
        loc = draw(st.from_regex(r"\A[a-z0-9.]{1,20}/[A-Za-z0-9/._-]{1,40}\Z"))
        return "pix", pix_dynamic(loc, merchant_name=name, merchant_city=city, amount=draw(_money("BRL")))
    if kind == "paynow":
        proxy = draw(st.sampled_from(["mobile", "uen"]))
        who = (
            {"mobile": draw(st.from_regex(r"\A[89][0-9]{7}\Z"))}
            if proxy == "mobile"
            else {"uen": draw(st.from_regex(r"\A[0-9]{8,9}[A-Z]\Z"))}
        )
        expiry = draw(st.none() | st.dates(date(2020, 1, 1), date(2099, 12, 31)))
        return "paynow", paynow(
            **who,
            merchant_name=name,
            merchant_city=city,
            amount=draw(_money("SGD")),
            editable=draw(st.none() | st.booleans()),
            expiry=expiry,
            reference=draw(_refs),
        )
    if kind == "fps":
        which = draw(st.sampled_from(["fps_id", "mobile", "email"]))
        value = {
            "fps_id": st.from_regex(r"\A[0-9]{7,9}\Z"),
            "mobile": st.from_regex(r"\A[5-9][0-9]{7}\Z"),
            "email": st.from_regex(r"\A[a-z0-9.]{1,20}@[a-z]{1,10}\.hk\Z"),
        }[which]
        return "fps", fps(
            **{which: draw(value)},
            merchant_name=name,
            merchant_city=city,
            amount=draw(_money("HKD")),
            reference=draw(_refs),
        )
    vpa = draw(st.from_regex(r"\A[a-z0-9.]{1,20}@[a-z]{2,10}\Z"))
    if kind == "upi-emv":
        return "upi", upi_emv(
            vpa,
            merchant_name=name,
            merchant_city=city,
            amount=draw(_money("INR")),
            reference=draw(_refs),
            mcc=draw(st.from_regex(r"\A[0-9]{4}\Z")),
        )
    note = draw(st.none() | st.text(min_size=1, max_size=50).filter(lambda s: s.split()))
    return "upi", upi_link(
        vpa,
        payee_name=draw(st.text(min_size=1, max_size=40).filter(lambda s: s.split())),
        amount=draw(_money("INR")),
        note=note,
        reference=draw(_refs),
    )


@given(any_scheme_payload())
def test_every_scheme_decodes_and_re_encodes_identically(case: tuple[str, str]) -> None:
    scheme, payload = case
    d = decode(payload)
    assert d.valid and d.crc_ok and d.scheme == scheme, (payload, d.errors)
    assert encode(d) == payload
    assert encode(decode(encode(d))) == payload


@given(any_scheme_payload(), st.data())
@settings(max_examples=400)
def test_any_one_character_corruption_of_an_emv_payload_is_invalid(case: tuple[str, str], data) -> None:
    _, payload = case
    assume(not payload.startswith("upi://"))  # a link has no checksum: see the note below
    index = data.draw(st.integers(0, len(payload) - 1))
    char = data.draw(st.characters(min_codepoint=0x20, max_codepoint=0x7E))
    assume(char != payload[index])
    corrupted = payload[:index] + char + payload[index + 1 :]
    d = decode(corrupted)
    assert not d.valid and d.errors
    assert not d.crc_ok or any("TLV" in e or "position" in e or "CRC" in e for e in d.errors), d.errors


def test_a_upi_link_has_no_checksum_so_only_structural_corruption_is_caught() -> None:
    # Documented limit: upi://pay links carry no CRC. A changed digit in 'am' is another valid link.
    link = upi_link("shop@okbank", payee_name="Shop", amount=Money.parse("12.50", "INR"))
    assert decode(link.replace("12.50", "13.50")).valid
    assert not decode(link.replace("pa=", "pa!")).valid
    assert not decode(link.replace("@", "#")).valid
