"""`tillqr qr decode` on payloads from the wild (tests/data/qr/real_world.json, each with its source): what
stickers and banking apps bend is read as valid with a warning, only broken structure is an error. And
three properties: what TillQR builds decodes clean, a one-byte change is never silent, no text raises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.qr import lengths
from app.qr.emv import TEMPLATE_TAGS, decode
from app.qr.printlayout import printable
from tests.unit.test_qr_schemes import any_scheme_payload

DATA = Path(__file__).resolve().parent.parent / "data" / "qr" / "real_world.json"
CASES = json.loads(DATA.read_text("utf-8"))["payloads"]


def test_the_fixtures_cover_both_outcomes_and_name_their_source() -> None:
    assert all(case["source"] for case in CASES)
    assert {case["expect"] for case in CASES} == {"valid", "invalid"}
    assert sum(1 for case in CASES if case["expect"] == "valid" and case.get("warnings")) >= 8


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_real_world_payload(case: dict) -> None:
    d = decode(case["payload"])
    assert d.valid == (case["expect"] == "valid"), (d.errors, d.warnings)
    for wanted in case.get("warnings", []):
        assert any(wanted in w for w in d.warnings), (wanted, d.warnings)
    for wanted in case.get("errors", []):
        assert any(wanted in e for e in d.errors), (wanted, d.errors)
    if case["expect"] == "valid" and not case.get("warnings"):
        assert d.warnings == []
    assert set(d.to_json_dict()) == {"valid", "crc_ok", "scheme", "fields", "errors", "warnings"}


def test_the_issue_12_merchant_name_is_read_and_printable() -> None:
    case = next(c for c in CASES if c["name"] == "issue12-padaria-lengths-in-utf8-bytes")
    d = printable(case["payload"], "a sticker")  # warnings do not stop a sticker; errors would
    assert d.fields["59"] == "Padaria São João ☕" and d.fields["60"] == "São Paulo" and d.scheme == "pix"


def test_lengths_that_read_two_ways_are_an_error_not_a_guess() -> None:
    text = "0102é00110ééééé"  # 01 "é0" + 01 "ééééé" (10 bytes), or 01 "é" (2 bytes) + 00 "0ééééé" (11 bytes)
    assert lengths.read(text, ()) == (None, 2)
    assert lengths.read("0103é", ()) == (None, 0)
    reading, count = lengths.read("0102é", ())
    assert count == 1 and reading is not None and reading[0].measure is lengths.Measure.UTF8_BYTES
    assert lengths.read("01" + "99" + "é" * 600, TEMPLATE_TAGS) == (None, 0)  # longer than any EMV payload: not tried


@given(any_scheme_payload())
@settings(max_examples=200)
def test_what_tillqr_builds_decodes_with_no_error_and_no_warning(case: tuple[str, str]) -> None:
    _scheme, payload = case
    d = decode(payload)
    assert d.valid and d.errors == [] and d.warnings == [], (payload, d.errors, d.warnings)


@given(any_scheme_payload(), st.data())
@settings(max_examples=400)
def test_a_one_byte_change_reads_the_same_or_is_reported(case: tuple[str, str], data: st.DataObject) -> None:
    _scheme, payload = case
    assume(not payload.startswith("upi:"))  # documented limit: a upi://pay link has no CRC (test_qr_schemes.py)
    raw = bytearray(payload.encode("utf-8"))
    index = data.draw(st.integers(0, len(raw) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != raw[index]))
    raw[index] = byte
    changed = raw.decode("utf-8", "surrogateescape")  # a byte that breaks UTF-8 stays visible as a lone surrogate
    d = decode(changed)
    if d.valid:
        assert d.fields == decode(payload).fields or d.warnings, (changed, d)
    else:
        assert d.errors


@given(st.text(max_size=600))
@settings(max_examples=500)
def test_decode_never_raises_on_any_text(text: str) -> None:
    d = decode(text)
    assert d.valid == (not d.errors)
    assert d.valid or d.errors
    json.dumps(d.to_json_dict())


@given(st.text(alphabet=st.sampled_from("0123456789é😀☕ãA"), max_size=200))
@settings(max_examples=500)
def test_decode_never_raises_on_digit_soup_with_non_ascii(text: str) -> None:
    d = decode("000201" + text)  # the length-measure search runs on these
    assert d.valid == (not d.errors)
    json.dumps(d.to_json_dict())
