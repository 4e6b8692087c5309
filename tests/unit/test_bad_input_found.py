"""Crashes the fuzzing (tools/fuzz) found, each now a clear error: one test per input that broke."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from app.domain.money import Money, MoneyError
from app.domain.tariffs import TariffError
from app.fieldwork.route_csv import RouteError, read_route
from app.fieldwork.tariff_config import DEMO_TARIFFS_FILE, load_tariffs
from app.providers import jpmorgan_parse, pix_parse, razorpay_parse
from app.providers.base import ProviderProtocolError
from app.qr import emv

PIX = {
    "qr_code_key": "k1",
    "qr_code_status": "active",
    "qr_code_type": "dynamic_instant",
    "created_at": "2024-01-01T00:00:00+00:00",
    "amount": Decimal("12.50"),
    "base_64_payload": base64.b64encode(b"000201").decode(),
}


@pytest.mark.parametrize("text", ["1e999999", "1E+30", "NaN", "Infinity"])
def test_a_provider_amount_past_decimals_range_or_sqlites_integer_is_not_an_amount(text):
    with pytest.raises(MoneyError):
        Money.from_decimal(Decimal(text), "BRL")
    assert Money.from_decimal(Decimal("92233720368547758.07"), "BRL").minor == 2**63 - 1


def test_a_jpmorgan_amount_of_1e999999_is_a_protocol_error():
    body = {"id": "r1", "status": "ACTIVE", "request": {"currency": "BRL", "paymentAmount": "1e999999"}}
    with pytest.raises(ProviderProtocolError, match="paymentAmount is not a valid BRL amount"):
        jpmorgan_parse.parse_request(body)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"expiration_seconds": "99999999999999999999"}, "expiration_seconds is not a number of seconds"),
        ({"expiration_seconds": -99999999999999}, "expiration_seconds is not a number of seconds"),
        ({"created_at": "9999-12-31T00:00:00+00:00", "expiration_seconds": 99999}, "past any date"),
    ],
)
def test_a_pix_expiry_past_the_year_9999_is_a_protocol_error(change, words):
    with pytest.raises(ProviderProtocolError, match=words):
        pix_parse.parse_qr({**PIX, **change})


@pytest.mark.parametrize("where", ["close_by", "notes"])
def test_a_razorpay_close_time_past_time_t_is_a_protocol_error(where):
    qr = {"id": "qr_1", "status": "closed", "payment_amount": 100}
    qr |= {"close_by": 99999999999999999} if where == "close_by" else {"notes": {"tillqr_expires_at": "9" * 17}}
    with pytest.raises(ProviderProtocolError, match="not a time"):
        razorpay_parse.to_info(razorpay_parse.parse_qr(qr), None)


def test_a_tariffs_file_nested_past_the_recursion_limit_is_a_tariff_error(tmp_path):
    path = tmp_path / "tariffs.toml"
    path.write_text(DEMO_TARIFFS_FILE.read_text(encoding="utf-8") + "\nx = " + "[" * 5000 + "]" * 5000)
    before = path.read_bytes()
    with pytest.raises(TariffError, match="nested too deeply") as caught:
        load_tariffs(path)
    assert str(caught.value).startswith(f"{path}: ") and path.read_bytes() == before


def test_a_lone_carriage_return_in_a_routes_header_is_a_route_error(tmp_path):
    path = tmp_path / "route.csv"
    path.write_bytes(b"bill_id,cus\rtomer\n")
    with pytest.raises(RouteError) as caught:
        read_route(path, load_tariffs(DEMO_TARIFFS_FILE))
    assert [(p.line, p.column) for p in caught.value.problems] == [(1, "")]
    assert "header line cannot be read" in str(caught.value)


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_a_lone_carriage_return_in_a_quoted_value_does_not_move_the_line_numbers(tmp_path, end):
    path = tmp_path / "route.csv"
    rows = [
        "bill_id,customer,address,meter_id,previous_reading,tariff",
        'B-1,"Ana\rMaria",Rua A,RM-1,10,residential',  # one line in an editor: the \r is inside the quotes
        "B-2,Bea,Rua B,RM-2,ten,residential",  # line 3: a reading that is not a number
    ]
    path.write_bytes(end.join(rows).encode() + end.encode())
    with pytest.raises(RouteError) as caught:
        read_route(path, load_tariffs(DEMO_TARIFFS_FILE))
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, "customer"), (3, "previous_reading")]


def test_emv_decode_of_a_payload_whose_crc_checks_but_whose_tag_63_was_not_read_is_an_error_not_a_keyerror():
    # found by `python -m tools.fuzz emv --seed 33`: a PayNow payload with a broken template length
    payload = "00020101021126380009SG.PAYNOW0101002,659123456703011,53037025802SG5911Corner Shop6009Si63049ACB"
    decoded = emv.decode(payload)
    assert not decoded.valid and decoded.errors
