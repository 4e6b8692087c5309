"""Targets that read text people type or scan: ``amount`` (Money.parse and the counter's AmountEntry) and
``emv`` (app.qr.emv.decode, what ``tillqr qr decode`` prints)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import strategies as st

from app.domain.money import MINOR_UNITS, Money, MoneyError, max_amount
from app.qr.emv import crc16, decode
from app.screens.amount_entry import AmountEntry

from . import Check, Target, each_string, expect, words
from .generate import edited

# -- amount ------------------------------------------------------------------------------------------
CURRENCIES = st.sampled_from(sorted(MINOR_UNITS)) | st.sampled_from(["", " brl ", "XXX", "BR"]) | st.text(max_size=4)
AMOUNT_TEXTS = (
    st.text(max_size=30)
    | st.from_regex(r"[ +-]?[0-9]{0,12}([.,][0-9]{0,5})?[ ]?", fullmatch=True)
    | st.integers(1, 20_000).map(lambda n: "9" * n)
    | st.sampled_from(["1e3", "NaN", "Infinity", "١٢", "１２", "0x10", "1_000", "12.50.1", "-0", "+0.01", ".5", "5."])
)
KEYS = st.lists(st.sampled_from([*"0123456789", "00", ".", ",", "back", "clear"]) | st.text(max_size=3), max_size=40)
AMOUNT_INPUTS = st.tuples(AMOUNT_TEXTS, CURRENCIES, KEYS)
_TYPED = re.compile(r"[0-9]*(\.[0-9]*)?")


def _check_parse(text: str, currency: str) -> None:
    try:
        money = Money.parse(text, currency)
    except MoneyError as exc:
        words(str(exc))
        return
    expect(money.minor > 0, f"{text!r} parsed to {money}, not more than zero")
    expect(money.amount <= max_amount(currency), f"{text!r} parsed above the largest sale")
    expect(Money.parse(str(money), currency) == money, f"{money} does not read back as itself")


def _check_entry(currency: str, keys: list[str]) -> None:
    try:
        entry = AmountEntry(currency)
    except MoneyError as exc:
        words(str(exc))
        return
    for key in keys:
        entry.press(key)
        whole, _, fraction = entry.text.partition(".")
        expect(bool(_TYPED.fullmatch(entry.text)), f"the counter shows {entry.text!r}")
        expect(len(whole) <= entry.max_integer_digits, f"{entry.text!r} has too many digits")
        expect(len(fraction) <= entry.decimals, f"{entry.text!r} has too many decimals")
    reason = entry.validate()
    if reason is None:
        expect(entry.money().minor > 0, f"{entry.text!r} accepted as nothing")
    else:
        words(reason)


@contextmanager
def _amount(workdir: Path) -> Iterator[Check]:
    def check(case: object) -> None:
        assert isinstance(case, tuple)
        text, currency, keys = case
        _check_parse(text, currency)
        _check_entry(currency, keys)

    yield check


# -- EMV ---------------------------------------------------------------------------------------------
QR_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "data" / "qr"
SEEDS = sorted({s for f in sorted(QR_FIXTURES.glob("*.json")) for s in each_string(json.loads(f.read_text("utf-8")))})
PAYLOADS = [s for s in SEEDS if s.startswith("000201") or s.startswith("upi://")] or [
    "00020101021226580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASILIA62070503***63041D3D"
]
TAGS = st.from_regex(r"[0-9]{2}", fullmatch=True)


def _tlv(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{tag}{len(value):02d}{value}" for tag, value in pairs if len(value) < 100)


def _with_crc(body: str) -> str:
    body += "6304"
    return body + crc16(body)


TLV_PAYLOADS = st.lists(
    st.tuples(
        TAGS, st.text(max_size=30) | st.builds(_tlv, st.lists(st.tuples(TAGS, st.text(max_size=12)), max_size=4))
    ),
    max_size=10,
).map(lambda pairs: _with_crc("000201" + _tlv(pairs)))
EMV_INPUTS = (
    st.text(max_size=300)
    | st.sampled_from(PAYLOADS).flatmap(edited)
    | st.sampled_from(PAYLOADS).flatmap(edited).map(lambda p: _with_crc(p[:-8]) if len(p) > 8 else p)
    | TLV_PAYLOADS
    | st.text(max_size=200).map(lambda q: "upi://pay?" + q)
)


@contextmanager
def _emv(workdir: Path) -> Iterator[Check]:
    def check(payload: object) -> None:
        assert isinstance(payload, str)
        decoded = decode(payload)
        shown = decoded.to_json_dict()
        json.dumps(shown, ensure_ascii=False)  # what `tillqr qr decode` prints
        expect(decoded.valid == (not decoded.errors), f"valid={decoded.valid} with errors {decoded.errors}")
        expect(all(isinstance(e, str) and e for e in decoded.errors), "an error that is not words")

    yield check


TARGETS = (Target("amount", AMOUNT_INPUTS, _amount), Target("emv", EMV_INPUTS, _emv))
