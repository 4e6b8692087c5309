"""app.i18n: which language (the store's beats the environment's; LANGUAGE lists; C is neutral), the formats
Babel gives each locale, a live switch (lazy texts read again), the CSV dialects, and the CLI's human output
in pt_BR, es and hi (a real ``tillqr`` process with LANG set)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app import i18n
from app.config.settings import Settings, SettingsError, parse
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.i18n import LanguageError, format_date, format_datetime, format_money, format_number, lazy_, set_language
from app.screens.journal_filters import WORDS, day_title, export_choices, status_words
from app.storage.journal import Journal
from app.storage.reports import CsvDialect, export_csv

NBSP = "\xa0"  # Babel keeps "R$" and its amount together on one line


def codes(env: dict[str, str]) -> list[str]:
    return [str(loc) for loc in i18n.system_languages(env)]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, []),
        ({"LANG": "C.UTF-8"}, []),
        ({"LANG": "POSIX"}, []),
        ({"LANG": "pt_BR.UTF-8"}, ["pt_BR"]),
        ({"LANG": "hi_IN.UTF-8"}, ["hi_IN"]),
        ({"LC_ALL": "es_AR.UTF-8", "LANG": "pt_BR.UTF-8"}, ["es_AR"]),
        ({"LC_MESSAGES": "es_ES.UTF-8", "LANG": "pt_BR.UTF-8"}, ["es_ES"]),
        ({"LANGUAGE": "xx:pt_BR:es", "LANG": "hi_IN.UTF-8"}, ["pt_BR", "es"]),  # an unknown code is skipped
        ({"LANGUAGE": "C:pt_BR", "LANG": "hi_IN.UTF-8"}, []),  # C ends the list, as gettext does
        ({"LANGUAGE": "", "LANG": "es"}, ["es"]),
    ],
)
def test_the_environment_picks_the_language_as_gettext_does(env, expected):
    assert codes(env) == expected


def test_the_store_beats_the_environment_and_c_is_neutral(monkeypatch):
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert set_language("").code == "es_ES"
    assert set_language("pt_BR").code == "pt_BR"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert set_language("").neutral and Money(1250, "BRL").display() == "BRL 12.50"
    with pytest.raises(LanguageError):
        set_language("xx_NOPE")
    assert i18n.current().neutral  # a refused code changes nothing


def test_the_store_language_is_a_checked_setting(tmp_path):
    assert parse({"store": {"language": "pt_BR"}}, tmp_path / "c.toml").language == "pt_BR"
    assert Settings().language == ""
    with pytest.raises(SettingsError, match="store.language"):
        parse({"store": {"language": "Portuguese please"}}, tmp_path / "c.toml")


@pytest.mark.parametrize(
    ("language", "money", "expected"),
    [
        ("", Money(1250, "BRL"), "BRL 12.50"),
        ("", Money(-1250, "BRL"), "BRL -12.50"),
        ("", Money(125_000_000, "INR"), "INR 1250000.00"),
        ("pt_BR", Money(1250, "BRL"), f"R${NBSP}12,50"),
        ("pt_BR", Money(-1250, "BRL"), f"-R${NBSP}12,50"),
        ("pt_BR", Money(123_456_789, "BRL"), f"R${NBSP}1.234.567,89"),
        ("pt_BR", Money(1250, "CLP"), f"CLP{NBSP}1.250"),  # no decimals
        ("pt_BR", Money(1250, "KWD"), f"KWD{NBSP}1,250"),  # three
        ("hi", Money(125_000, "INR"), "₹1,250.00"),
        ("hi", Money(1_234_567_800, "INR"), "₹1,23,45,678.00"),  # lakhs and crores
        ("hi", Money(7, "JPY"), "JP¥7"),
        ("es", Money(1250, "EUR"), f"12,50{NBSP}€"),
        ("es_AR", Money(1250, "ARS"), "$12,50"),
        ("en", Money(5, "KWD"), "KWD0.005"),
    ],
)
def test_money_as_babel_formats_it_for_the_locale(language, money, expected):
    set_language(language)
    assert format_money(money) == money.display() == expected
    assert str(money) == f"{money.amount:.{money.digits}f}"  # the machine's text never changes


def test_dates_times_and_numbers_per_locale():
    when = datetime(2026, 11, 25, 14, 3, 5, tzinfo=UTC)
    expected = {
        "": ("2026-11-25 14:03:05", "2026-11-25 14:03", "2026-11-25", "1234567.891", "1234.50"),
        "pt_BR": ("25/11/2026 14:03:05", "25/11/2026 14:03", "25/11/2026", "1.234.567,891", "1.234,50"),
        "es": ("25/11/26, 14:03:05", "25/11/26, 14:03", "25/11/26", "1.234.567,891", "1.234,50"),
        "hi": ("25/11/26, 2:03:05 pm", "25/11/26, 2:03 pm", "25/11/26", "12,34,567.891", "1,234.50"),
    }
    for language, (stamp, minute, day, number, fixed) in expected.items():
        set_language(language)
        got = (
            format_datetime(when),
            format_datetime(when, seconds=False),
            format_date(when.date()),
            format_number(Decimal("1234567.891")),
            format_number(Decimal("1234.5"), 2),
        )
        assert tuple(x.replace("\u202f", " ") for x in got) == (stamp, minute, day, number, fixed), language


SOLD = Sale.new(Money(1250, "BRL"), "jpmorgan", "").move(SaleStatus.SETTLED)


def test_a_switch_shows_at_once_in_lazy_constants_and_tells_the_listeners():
    heard: list[str] = []
    stop = i18n.on_language_changed(lambda lang: heard.append(lang.code))
    constant = lazy_("Paid")
    set_language("")
    assert (str(constant), WORDS[SaleStatus.SETTLED], SaleStatus.SETTLED.label) == ("Paid", "Paid", "PAID")
    set_language("pt_BR")
    assert (str(constant), WORDS[SaleStatus.SETTLED], SaleStatus.SETTLED.label) == ("Paga", "Paga", "PAGO")
    assert f"{constant:>6}" == "  Paga" and SaleStatus.SETTLED.word == "paga"
    set_language("hi")
    assert WORDS[SaleStatus.EXPIRED] == "समय समाप्त" and day_title(date(2026, 1, 2), date(2026, 1, 2)) == "आज (2/1/26)"
    set_language("es")
    assert status_words(SOLD) == "Pagada"
    set_language("es")  # the same again: nobody is told
    stop()
    set_language("")
    assert heard == ["pt_BR", "hi", "es"]


def test_a_language_without_a_catalogue_speaks_english_with_its_own_formats():
    set_language("de")
    assert WORDS[SaleStatus.SETTLED] == "Paid" and Money(1250, "EUR").display() == f"12,50{NBSP}€"


def _sales() -> list[Sale]:
    sale = Sale.new(Money(123456, "BRL"), "depay", "").with_(created_at=datetime(2026, 11, 25, 14, 3, 5, tzinfo=UTC))
    return [sale.move(SaleStatus.SETTLED, amount_received=sale.amount)]


def _read(path: Path, delimiter: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@pytest.mark.parametrize(
    ("language", "dialect", "delimiter", "amount"),
    [
        ("pt_BR", CsvDialect.NEUTRAL, ",", "1234.56"),
        ("pt_BR", CsvDialect.LOCALE, ";", "1234,56"),
        ("es", CsvDialect.LOCALE, ";", "1234,56"),
        ("hi", CsvDialect.LOCALE, ",", "1234.56"),
        ("en", CsvDialect.LOCALE, ",", "1234.56"),
        ("", CsvDialect.LOCALE, ",", "1234.56"),
    ],
)
def test_csv_dialects(tmp_path, language, dialect, delimiter, amount):
    set_language(language)
    path = tmp_path / "j.csv"
    assert export_csv(_sales(), path, dialect) == 1
    [row] = _read(path, delimiter)
    assert row["amount"] == row["amount_received"] == amount and row["status"] == "settled"
    if dialect is CsvDialect.NEUTRAL:
        assert row["created_at"] == "2026-11-25T14:03:05+00:00"
    else:  # local time, as every spreadsheet reads a date and time
        local = datetime(2026, 11, 25, 14, 3, 5, tzinfo=UTC).astimezone()
        assert row["created_at"] == f"{local:%Y-%m-%d %H:%M:%S}"


def test_the_journal_screen_offers_both_dialects_in_the_language():
    set_language("pt_BR")
    (neutral, programs), (locale, sheets) = export_choices()
    assert (neutral, locale) == (CsvDialect.NEUTRAL, CsvDialect.LOCALE)
    assert "programas" in programs and "planilhas" in sheets and "“;”" in sheets and "“,” nos valores" in sheets
    set_language("hi")
    assert export_choices()[1][1] == "हिंदी स्प्रेडशीट के लिए CSV (कॉलमों के बीच “,”, राशियों में “.”)"


# -- the command line, in a real process ----------------------------------------------------------------
def tillqr(*args: str, lang: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env |= {"LANG": lang, "TILLQR_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=60, check=True
    )


@pytest.fixture
async def demo_home(tmp_path: Path) -> Path:
    """A TILLQR_HOME whose demo journal holds one sale of 12.50 paid and one of 1250.00 cancelled."""
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    journal = Journal(home / "data" / "journal-demo.sqlite3")
    try:
        paid = Sale.new(Money(1250, "BRL"), "jpmorgan", "", link_id="L1")
        await journal.record(paid.move(SaleStatus.SETTLED, amount_received=paid.amount).with_(closed_at=utcnow()), "x")
        gone = Sale.new(Money(125000, "BRL"), "depay", "", link_id="L1")
        await journal.record(gone.move(SaleStatus.CANCELLED).with_(closed_at=utcnow()), "x")
    finally:
        await journal.aclose()
    return home


@pytest.mark.parametrize(
    ("lang", "words", "money"),
    [
        ("C.UTF-8", ("settled", "cancelled", "received", "demo mode"), ("BRL 12.50", "BRL 1250.00")),
        ("pt_BR.UTF-8", ("paga", "cancelada", "recebido", "modo de demonstração"), (f"R${NBSP}12,50", "1.250,00")),
        ("es_ES.UTF-8", ("pagada", "cancelada", "recibido", "modo de demostración"), (f"12,50{NBSP}BRL", "1.250,00")),
        ("hi_IN.UTF-8", ("भुगतान हुआ", "रद्द", "प्राप्त", "डेमो मोड"), ("R$12.50", "R$1,250.00")),
    ],
)
def test_journal_list_and_totals_speak_the_language(demo_home, lang, words, money):
    listed = tillqr("journal", "list", "--demo", lang=lang, home=demo_home)
    totals = tillqr("journal", "totals", "--demo", lang=lang, home=demo_home)
    for text in (listed.stdout, totals.stdout):
        assert all(w in text for w in words[:3]) and all(m in text for m in money), text
    assert words[3] in listed.stderr
    as_json = tillqr("journal", "list", "--demo", "--json", lang=lang, home=demo_home).stdout
    assert '"amount": "12.50"' in as_json and '"status": "settled"' in as_json  # machines read it the same


def test_machine_output_holds_the_neutral_language_whatever_is_asked_later():
    set_language("pt_BR")
    assert Money(1250, "BRL").display() == f"R${NBSP}12,50"
    i18n.hold_neutral()
    assert Money(1250, "BRL").display() == "BRL 12.50"
    set_language("pt_BR")  # what opening the store's runtime asks: held, nothing changes
    assert Money(1250, "BRL").display() == "BRL 12.50" and i18n._("settled") == "settled"
