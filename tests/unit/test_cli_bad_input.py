"""Bad input is quoted as a short excerpt, and a charge's amount is refused before the till opens
(issue 12, defect 8: a 10,000-digit amount was echoed back in full, after the runtime had opened)."""

from __future__ import annotations

import pytest

from app.__main__ import main
from app.domain.bills import ReadingRejected, parse_reading
from app.domain.excerpt import EXCERPT_CHARS, excerpt
from app.domain.money import Money, MoneyError
from app.qr.emv import decode

HUGE = "9" * 10_000


def test_excerpt_cuts_long_input_and_says_how_long_it_was():
    assert excerpt("12.50") == "'12.50'"
    assert excerpt(HUGE) == f"'{'9' * EXCERPT_CHARS}'… (10,000 characters)"
    assert excerpt("a\x1b[31mb") == "'a\\x1b[31mb'"  # no terminal escape reaches the screen
    assert excerpt("name", bare=True) == "name" and excerpt("two words", bare=True) == "'two words'"
    assert "digits" in excerpt(10**20_000)  # str() refuses such an int; the excerpt says what it is


@pytest.mark.parametrize("text", [HUGE, "-" + HUGE, "x" * 10_000, "1," + "0" * 10_000, "1." + "5" * 10_000])
def test_a_10000_character_amount_is_quoted_as_an_excerpt(text):
    with pytest.raises(MoneyError) as caught:
        Money.parse(text, "BRL")
    assert len(str(caught.value)) < 200 and "10,0" in str(caught.value), str(caught.value)


def test_a_long_meter_reading_is_quoted_as_an_excerpt():
    with pytest.raises(ReadingRejected) as caught:
        parse_reading("1" * 10_000 + "x")
    assert len(caught.value.message) < 200 and "10,001 characters" in caught.value.message


def test_a_long_upi_parameter_is_quoted_as_an_excerpt():
    decoded = decode("upi://pay?" + "a" * 100_000)
    assert decoded.errors and all(len(e) < 200 for e in decoded.errors), decoded.errors


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["charge", HUGE, "--demo"], "(10,000 characters) is too long to be an amount"),
        (["charge", "-5", "--demo"], "the amount must be positive"),
        (["charge", "5", "--currency", "X" * 5000, "--demo"], "unknown currency 'XXXXXXXXXXXXXXXXXXXXXXXX'…"),
        (["charge", "5.123", "--currency", "BRL", "--demo"], "BRL has 2 decimals"),
    ],
)
def test_charge_refuses_a_bad_amount_before_the_till_opens(tmp_path, monkeypatch, capsys, args, said):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert said in err and len(err) < 300 and err.count("\n") == 1, err
    assert not list((tmp_path / "data").iterdir())  # no journal, no lock, no sandbox state: nothing opened
