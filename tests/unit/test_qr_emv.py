"""EMV MPM codec: CRC, TLV, build/decode round trips, malformed payloads, real published payloads."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.qr.emv import TEMPLATE_TAGS, Decoded, build, crc16, decode, encode, tlv

# Banco Central do Brasil's static BR Code example (Manual do BR Code / Pix manual).
BCB_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
# EMVCo MPM specification's example, with a Chinese language template (UTF-8, lengths in characters).
EMVCO_EXAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME"
    "91320016A0112233449988770708123456786304A13A"
)


def test_crc_check_value() -> None:
    assert crc16("123456789") == "29B1"
    assert crc16("") == "FFFF"


def test_bcb_static_example_crc_matches_our_implementation() -> None:
    assert crc16(BCB_STATIC[:-4]) == "1D3D"


def test_bcb_static_example_decodes() -> None:
    d = decode(BCB_STATIC)
    assert d.valid and d.crc_ok and d.errors == []
    assert d.scheme == "pix"
    assert d.fields == {
        "00": "01",
        "26": {"00": "br.gov.bcb.pix", "01": "123e4567-e12b-12d1-a456-426655440000"},
        "52": "0000",
        "53": "986",
        "58": "BR",
        "59": "Fulano de Tal",
        "60": "BRASILIA",
        "62": {"05": "***"},
        "63": "1D3D",
    }
    assert build({k: v for k, v in d.fields.items() if k != "63"}) == BCB_STATIC


def test_emvco_example_with_utf8_language_template() -> None:
    d = decode(EMVCO_EXAMPLE)
    assert d.valid, d.errors
    assert d.scheme == "emv"
    assert d.fields["64"] == {"00": "ZH", "01": "最佳运输", "02": "北京"}
    assert d.fields["54"] == "23.72"
    assert d.fields["62"]["06"] == "***"


def test_to_json_dict_is_the_cli_contract() -> None:
    out = decode(BCB_STATIC).to_json_dict()
    assert set(out) == {"valid", "crc_ok", "scheme", "fields", "errors", "warnings"}
    assert out["warnings"] == []
    assert json.loads(json.dumps(out)) == out


def test_tlv() -> None:
    assert tlv("00", "01") == "000201"
    assert tlv("59", "x" * 99) == "5999" + "x" * 99
    for tag, value in [("0", "a"), ("AB", "a"), ("000", "a"), ("00", ""), ("00", "x" * 100)]:
        with pytest.raises(ValueError):
            tlv(tag, value)


def test_build_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="63"):
        build({"00": "01", "63": "ABCD"})
    with pytest.raises(ValueError, match="not a template"):
        build({"59": {"00": "x"}})
    with pytest.raises(ValueError, match="tag 26 must be 1 to 99 characters"):
        build({"26": {"00": "x" * 98}})


def test_upi_link() -> None:
    d = decode("upi://pay?pa=shop@okbank&pn=Corner%20Shop&am=12.50&cu=INR")
    assert d.valid and d.scheme == "upi"
    assert d.fields == {"pa": "shop@okbank", "pn": "Corner Shop", "am": "12.50", "cu": "INR"}
    assert encode(d) == "upi://pay?pa=shop@okbank&pn=Corner%20Shop&am=12.50&cu=INR"
    bad = decode("upi://pay?pn=Shop&am=1,5")
    assert not bad.valid and bad.scheme == "upi"
    assert any("'pa'" in e for e in bad.errors) and any("'am'" in e for e in bad.errors)


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("upi://pay?pa=a@b&am=1.005", "at most 2 decimals"),
        ("upi://pay?pa=a@b&cu=USD", "'cu' must be 'INR'"),
        ("upi://pay?pa=a@b&pa=c@d", "'pa' appears more than once"),
        ("upi://pay?pa=nobody", "like name@bank"),
        ("upi:pay?pa=a@b", "starts with 'upi://pay?'"),
    ],
)
def test_upi_link_deviations(link: str, reason: str) -> None:
    d = decode(link)
    assert not d.valid and d.scheme == "upi" and any(reason in e for e in d.errors), d.errors


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("upi://pay?pa=a@b&mc=54", "'mc'"),
        ("upi://pay?pa=a@b&pn=", "'pn' (payee name) is empty"),
        ("upi://pay?pa=a@b&tn", "'tn' has no '='"),
        ("upi://pay?pa=a@b&=x", "has no name"),
        ("upi://pay?pa=a@b&tn=50%", "malformed percent-escape"),
        ("upi://pay?pa=a@b&tn=two words", "must be percent-encoded"),
        ("upi://pay?pa=a@b&tn=café", "must be percent-encoded"),
    ],
)
def test_upi_link_departures_apps_read_anyway_are_warnings(link: str, reason: str) -> None:
    d = decode(link)
    assert d.valid and d.errors == [] and d.scheme == "upi", d.errors
    assert any(reason in w for w in d.warnings), d.warnings


def test_scheme_detection() -> None:
    base = {"00": "01", "52": "0000", "53": "702", "58": "SG", "59": "Shop", "60": "Singapore"}
    paynow = build({**base, "26": {"00": "SG.PAYNOW", "01": "2", "02": "T12345678A", "03": "1"}})
    assert decode(paynow).scheme == "paynow" and decode(paynow).valid, decode(paynow).errors
    hk = {**base, "53": "344", "58": "HK", "60": "HK"}
    fps = build({**hk, "26": {"00": "hk.com.hkicl", "02": "1234567"}})
    assert decode(fps).scheme == "fps" and decode(fps).valid, decode(fps).errors
    india = {**base, "53": "356", "58": "IN", "60": "Mumbai"}
    upi = build({**india, "26": {"00": "A000000524", "01": "shop@okbank"}, "27": {"00": "A000000524", "01": "y"}})
    assert decode(upi).scheme == "upi" and decode(upi).valid, decode(upi).errors
    assert decode(build({**india, "28": {"00": "in.npci.upi", "01": "y"}})).scheme == "upi"
    assert decode(build({**base, "02": "4000123456789012"})).scheme == "emv"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"53": "986", "54": "12.345"}, "'12.345' has 3 decimals, but BRL (986) has 2"),
        ({"53": "392", "54": "100.00"}, "has decimals, but JPY (392) has none"),
        ({"53": "414", "54": "1.2345"}, "has 4 decimals, but KWD (414) has 3"),
        ({"54": "12345678901.00"}, "at most 13 characters"),
        ({"54": ".50"}, "tag 54 (amount)"),
        ({"55": "04"}, "tag 55"),
        ({"55": "02"}, "tag 56 (the fee) is missing"),
        ({"55": "03"}, "tag 57 (the percentage) is missing"),
        ({"55": "02", "56": "1,00"}, "tag 56 (convenience fee)"),
        ({"55": "03", "57": "123456"}, "tag 57"),
        ({"27": {"01": "x"}}, "template 27 has no globally unique identifier"),
        ({"27": {"00": "g" * 33}}, "template 27: globally unique identifier (sub-tag 00) must be at most 32"),
        ({"27": {"00": "not a domain"}}, "neither an application identifier (hex digits) nor a reverse domain"),
        ({"27": {"00": "br.gov.bcb.pixx", "01": "x"}}, "did the code mean 'br.gov.bcb.pix'?"),
        ({"27": {"00": "SG.PAYNOWW", "01": "x"}}, "did the code mean 'SG.PAYNOW'?"),
        ({"58": "B"}, "tag 58 (country) must be 2 letters"),
    ],
)
def test_value_rules(fields: dict, reason: str) -> None:
    base = {"00": "01", "26": {"00": "com.example"}, "52": "5411", "53": "840", "58": "US", "59": "Shop", "60": "Town"}
    d = decode(build({**base, **fields}))
    assert d.crc_ok and not d.valid
    assert any(reason in e for e in d.errors), d.errors


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"59": "x" * 26}, "tag 59 (merchant name) should be at most 25"),
        ({"60": "y" * 16}, "tag 60 (merchant city) should be at most 15"),
        ({"61": "12345678901"}, "tag 61 (postal code)"),
        ({"59": "São Paulo Padaria"}, "tag 59 has characters outside printable ASCII: U+00E3"),
        ({"59": "Padaria São João ☕"}, "U+2615 '☕'"),
        ({"62": {"01": "b" * 26}}, "template 62: sub-tag 01 should be at most 25"),
        ({"62": {"09": "AMX"}}, "sub-tag 09 (consumer data request)"),
        ({"62": {"05": "ação"}}, "template 62: sub-tag 05 has characters outside printable ASCII"),
        ({"64": {"01": "名"}}, "sub-tag 00 (language preference)"),
        ({"64": {"00": "ZH"}}, "sub-tag 01 (merchant name in the other language) is missing"),
        ({"64": {"00": "ZH", "01": "名" * 26}}, "template 64: sub-tag 01 should be at most 25"),
        ({"64": {"00": "ZH", "01": "名", "02": "市" * 16}}, "template 64: sub-tag 02 should be at most 15"),
        ({"80": {"00": "g" * 33}}, "template 80: globally unique identifier (sub-tag 00) must be at most 32"),
        ({"80": {"01": "x"}}, "template 80 has no globally unique identifier"),
        ({"01": "13"}, "tag 01 (point of initiation)"),
        ({"52": "54"}, "tag 52 (merchant category code)"),
        ({"58": "us"}, "tag 58 (country) should be upper-case"),
    ],
)
def test_what_apps_read_anyway_is_a_warning(fields: dict, reason: str) -> None:
    base = {"00": "01", "26": {"00": "com.example"}, "52": "5411", "53": "840", "58": "US", "59": "Shop", "60": "Town"}
    d = decode(build({**base, **fields}))
    assert d.crc_ok and d.valid and d.errors == [], d.errors
    assert any(reason in w for w in d.warnings), d.warnings


def test_language_template_may_hold_utf8() -> None:
    base = {
        "00": "01",
        "26": {"00": "com.example"},
        "52": "5411",
        "53": "840",
        "58": "US",
        "59": "Shop",
        "60": "Town",
        "64": {"00": "ZH", "01": "最佳运输", "02": "北京"},
    }
    assert decode(build(base)).valid


def test_undecodable_bytes_are_reported_not_raised() -> None:
    d = decode("000201\udcff")
    assert not d.valid and "undecodable byte" in d.errors[0]


def _with_crc(body: str) -> str:
    return body + "6304" + crc16(body + "6304")


_GOOD = BCB_STATIC[:-8]  # everything before "6304"

MALFORMED: list[tuple[str, str]] = [
    ("", "empty payload"),
    ("00", "truncated at position 0"),
    ("000", "truncated at position 0"),
    ("0002", "declares 2 characters but only 0 remain"),
    ("0002010", "truncated at position 6"),
    ("00020126", "truncated"),
    ("0002015x", "truncated"),
    ("000201AB02xx", "tag 'AB' at position 6 is not two digits"),
    ("0002015ABxyz", "tag '5A' at position 6 is not two digits"),
    ("000201590Axyz", "length '0A' of tag 59"),
    ("0002015900", "length 00"),
    ("000201599912", "declares 99 characters but only 2 remain"),
    (BCB_STATIC[:-1], "declares 4 characters but only 3 remain"),
    (BCB_STATIC + "0", "must be the last field"),
    (BCB_STATIC + "5802BR", "must be the last field; 6 character(s) follow it"),
    (_with_crc(_GOOD[6:] + "000201"), "must start with tag 00"),
    (_with_crc(_GOOD[6:] + "000201"), "must be the first field"),
    (_with_crc("000202" + _GOOD[6:]), "tag 00 (payload format indicator) must be '01'"),
    (_GOOD, "missing mandatory tag 63"),
    (_GOOD.replace("5913Fulano de Tal", "") + "6304", "missing mandatory tag 59"),
    (_with_crc(_GOOD.replace("5913Fulano de Tal", "").replace("6008BRASILIA", "")), "missing mandatory tag 60"),
    (_with_crc("000201" + _GOOD[68:]), "missing merchant account information"),
    (_GOOD[:6] + "6304ABCD" + _GOOD[6:], "tag 63 (CRC) must be the last field"),
    (_with_crc(_GOOD[:6] + "6304ABCD" + _GOOD[6:]), "appears more than once"),
    (BCB_STATIC[:-4] + "1D3E", "CRC mismatch: payload says 1D3E, computed 1D3D"),
    (BCB_STATIC[:-4] + "1G3D", "not four hex digits"),
    (BCB_STATIC.replace("Fulano", "Fulanx"), "CRC mismatch"),
    (_with_crc("000201" + "26060005ab" + _GOOD[68:]), "template 26 is not valid TLV"),
    (_with_crc(_GOOD + "5802BR"), "tag 58 at position"),
    (_with_crc(_GOOD.replace("5802BR", "5802SG")), "pix: tag 58 (country) must be 'BR'"),
    (_with_crc(_GOOD.replace("5303986", "53039x6")), "tag 53 (currency)"),
    (_with_crc(_GOOD + "540412,5"), "tag 54 (amount)"),
    ("upi://pay", "no query parameters"),
]


@pytest.mark.parametrize(("payload", "reason"), MALFORMED)
def test_malformed_payloads_report_a_reason(payload: str, reason: str) -> None:
    d = decode(payload)
    assert isinstance(d, Decoded)
    assert not d.valid
    assert any(reason in e for e in d.errors), d.errors


def test_malformed_keeps_what_it_could_read() -> None:
    d = decode(BCB_STATIC[:-1])
    assert d.fields["59"] == "Fulano de Tal" and d.fields["26"]["00"] == "br.gov.bcb.pix"
    assert d.scheme == "pix" and not d.crc_ok


def test_lower_case_crc_is_a_warning_and_read_in_upper_case() -> None:
    d = decode(BCB_STATIC[:-4] + "1d3d")
    assert d.crc_ok and d.valid and d.errors == []
    assert d.warnings == ["CRC in lower-case hex: '1d3d' (the standard writes 1D3D)"]
    assert d.fields == decode(BCB_STATIC).fields


def test_bad_template_keeps_raw_value() -> None:
    d = decode(_with_crc("000201" + "26060005ab" + _GOOD[68:]))
    assert d.fields["26"] == "0005ab" and d.crc_ok


def test_non_string_does_not_raise() -> None:
    assert not decode(None).valid  # type: ignore[arg-type]
    assert not decode(b"000201").valid  # type: ignore[arg-type]


# -- properties --------------------------------------------------------------

_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("çãéü最北€")
_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_PRIMITIVE_TAGS = [f"{t:02d}" for t in range(100) if f"{t:02d}" not in TEMPLATE_TAGS and t != 63]
_SUBTAGS = st.sampled_from([f"{t:02d}" for t in range(100)])


def _template(chars: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(_SUBTAGS, st.text(chars, min_size=1, max_size=20), min_size=1, max_size=4)


def _account_template() -> st.SearchStrategy[dict[str, str]]:
    """A merchant account template: a GUI (sub-tag 00) of no known scheme, then other sub-tags."""
    gui = st.from_regex(r"\Acom\.[a-z]{1,20}\Z")
    return st.builds(
        lambda g, rest: {"00": g, **rest},
        gui,
        st.dictionaries(
            st.sampled_from([f"{t:02d}" for t in range(1, 100)]), st.text(_ASCII, min_size=1, max_size=15), max_size=3
        ),
    )


def _additional_data() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(
        st.sampled_from([f"{t:02d}" for t in range(1, 9)] + ["10", "50", "99"]),
        st.text(_ASCII, min_size=1, max_size=25),
        min_size=1,
        max_size=3,
    )  # ≤ 3×29 < 99


@st.composite
def any_fields(draw: st.DrawFn) -> dict[str, object]:
    tags = draw(st.lists(st.sampled_from(_PRIMITIVE_TAGS + sorted(TEMPLATE_TAGS)), unique=True, max_size=10))
    return {
        t: draw(_template(_CHARS) if t in TEMPLATE_TAGS else st.text(_CHARS, min_size=1, max_size=99)) for t in tags
    }


@st.composite
def valid_payload(draw: st.DrawFn) -> str:
    text = lambda n: st.text(_ASCII, min_size=1, max_size=n)  # noqa: E731
    fields: dict[str, object] = {"00": "01"}
    if draw(st.booleans()):
        fields["01"] = draw(st.sampled_from(["11", "12"]))
    fields[draw(st.sampled_from([f"{t}" for t in range(26, 52)]))] = draw(_account_template())
    fields["52"] = draw(st.from_regex(r"\A[0-9]{4}\Z"))
    fields["53"] = draw(st.sampled_from(["986", "702", "344", "840", "978", "999", "123"]))
    if draw(st.booleans()):
        fields["54"] = draw(st.from_regex(r"\A[0-9]{1,7}(\.[0-9][0-9])?\Z"))
    fields["58"] = draw(st.from_regex(r"\A[A-Z]{2}\Z"))
    fields["59"] = draw(text(25))
    fields["60"] = draw(text(15))
    if draw(st.booleans()):
        fields["62"] = draw(_additional_data())
    return build(fields)  # type: ignore[arg-type]


@given(any_fields())
@settings(max_examples=300)
def test_build_decode_round_trip(fields: dict[str, object]) -> None:
    payload = build(fields)  # type: ignore[arg-type]
    d = decode(payload)
    assert d.crc_ok
    assert {k: v for k, v in d.fields.items() if k != "63"} == fields
    assert not any("TLV" in e or "CRC" in e for e in d.errors)
    assert build({k: v for k, v in d.fields.items() if k != "63"}) == payload


@given(valid_payload())
@settings(max_examples=200)
def test_generated_valid_payloads_are_valid(payload: str) -> None:
    d = decode(payload)
    assert d.valid, d.errors


@given(valid_payload(), st.data())
@settings(max_examples=500)
def test_any_single_character_corruption_is_invalid(payload: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(payload) - 1))
    char = data.draw(_ASCII)
    assume(char != payload[index])
    corrupted = payload[:index] + char + payload[index + 1 :]
    d = decode(corrupted)
    if char.upper() == payload[index] and index >= len(payload) - 4:  # a CRC digit in lower case: tolerated
        assert d.valid and d.fields == decode(payload).fields and d.warnings
        return
    assert not d.valid, (corrupted, d)
    assert d.errors


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_decode_never_raises(text: str) -> None:
    d = decode(text)
    assert d.valid == (not d.errors)
    json.dumps(d.to_json_dict())


@given(valid_payload(), st.integers(0, 400))
def test_decode_never_raises_on_truncation(payload: str, cut: int) -> None:
    d = decode(payload[:cut])
    assert d.valid == (cut >= len(payload))


def test_upi_values_with_a_trailing_newline_are_invalid():
    from app.qr.emv import decode as _decode

    for link in ("upi://pay?pa=shop@okbank&am=12%0A", "upi://pay?pa=shop@okbank%0A&pn=Shop"):
        assert not _decode(link).valid, link
