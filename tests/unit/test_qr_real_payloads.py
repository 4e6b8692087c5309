"""The decoder on payloads it did not make: specifications' examples, providers' documentation,
other implementations' tests and output (tests/data/qr/*.json, each with its source).

Valid ones decode to the expected fields (also checked against a naive TLV split written here,
so the expectations are not only the decoder's own word) and re-encode to the same text (UPI
links: to the same parameters, as other encoders may escape differently);
broken ones still give every field that could be read and name each deviation.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from app.qr.emv import TEMPLATE_TAGS, decode, encode

DATA = Path(__file__).resolve().parent.parent / "data" / "qr"
CASES = [
    (name, case)
    for name in ("libraries", "published")  # real_world.json has its own test (test_qr_real_world.py)
    for case in json.loads((DATA / f"{name}.json").read_text("utf-8"))["payloads"]
]


def _naive_tlv(text: str) -> dict[str, object]:
    out: dict[str, object] = {}
    while text:
        tag, size = text[:2], int(text[2:4])
        value, text = text[4 : 4 + size], text[4 + size :]
        out[tag] = _naive_tlv(value) if tag in TEMPLATE_TAGS else value
    return out


def test_there_are_real_payloads_of_every_scheme_and_some_broken_ones() -> None:
    schemes = {case["expected"]["scheme"] for _, case in CASES}
    assert {"pix", "paynow", "fps", "upi", "emv"} <= schemes
    assert sum(1 for _, c in CASES if c["expected"]["deviations"]) >= 5
    assert sum(1 for _, c in CASES if c["expected"].get("tolerated")) >= 3
    assert all(case["source"] for _, case in CASES)
    assert {c["kind"] for _, c in CASES} >= {
        "specification",
        "other implementation",
        "library output",
        "provider documentation",
    }


@pytest.mark.parametrize(("origin", "case"), CASES, ids=[f"{o}:{c['name']}" for o, c in CASES])
def test_decodes_as_expected(origin: str, case: dict) -> None:
    expected = case["expected"]
    d = decode(case["payload"])
    out = d.to_json_dict()
    assert (out["valid"], out["crc_ok"], out["scheme"]) == (expected["valid"], expected["crc_ok"], expected["scheme"])
    assert out["fields"] == expected["fields"]
    for deviation in expected["deviations"]:
        assert any(deviation in e for e in d.errors), (deviation, d.errors)
    for tolerated in expected.get("tolerated", []):
        assert any(tolerated in w for w in d.warnings), (tolerated, d.warnings)
    assert d.valid == (not expected["deviations"])
    if d.valid and not d.warnings:
        assert d.errors == []
        if d.fields.keys() & {"00", "63"}:
            assert encode(d) == case["payload"]
            assert _naive_tlv(case["payload"]) == d.fields
        else:  # links may percent-encode differently (':' kept, '+' for space): same fields, not same text
            assert decode(encode(d)).fields == d.fields
            assert dict(parse_qsl(case["payload"].partition("?")[2])) == d.fields


def test_a_wrong_template_length_is_read_through_and_named() -> None:
    broken = next(c for _, c in CASES if c.get("generated_by", "").startswith("PixQrCode("))
    d = decode(broken["payload"])
    assert d.crc_ok and not d.valid and d.scheme == "pix"
    assert d.fields["26"] == {"00": "BR.GOV.BCB.PIX", "01": "fulano@example.com"}
    assert d.fields["54"] == "10.00" and d.fields["59"] == "Fulano de Tal" and d.fields["62"] == {"05": "PEDIDO1"}
    assert d.errors == [
        "tag 26 at position 6 declares length 46, but its data objects take 40 characters; "
        "read as 40 (the fields after it depend on this)"
    ]


def test_stale_and_lower_case_crcs_keep_every_field() -> None:
    stale = next(c for _, c in CASES if c["name"] == "hkqr-template-stale-crc")
    d = decode(stale["payload"])
    assert not d.crc_ok and d.scheme == "fps" and d.fields["26"] == {"00": "hk.com.hkicl", "02": "9999999"}
    assert d.errors == ["CRC mismatch: payload says 84E1, computed D1A3"]
    lower = next(c for _, c in CASES if c["name"] == "gst-einvoice-sample-lowercase-crc")
    d = decode(lower["payload"])
    assert d.crc_ok and d.valid and d.errors == []
    assert d.warnings == ["CRC in lower-case hex: 'e9fc' (the standard writes E9FC)"]
    assert d.fields["63"] == "E9FC"
    assert d.fields["26"]["01"] == "centralwarehousingco.99331959@hdfcbank" and d.scheme == "upi"
