"""The store's language: its words (gettext) and its formats (Babel), for every floor of TillQR.

This module imports nothing from ``app``, so the domain (``Money.display``), the screens, the command
layer and the UI may all use it without a cycle.

Which language: the store's ``[store] language`` (``set_language("pt_BR")``, done by ``app.runtime``
when the settings are read and by Settings when the manager changes it), else the environment as gettext
reads it: the first of ``LANGUAGE`` (a list, ``pt_BR:es``), ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is
set, parsed by Babel, not ``setlocale`` (no system locale need be installed). ``C``, ``POSIX`` or nothing
set means *neutral*: the English source text and machine-plain formats ("BRL 12.50", ISO dates), which
the tests and scripts rely on. Once a language is known, Babel formats money, dates and numbers for it.

Words: ``_("text")``, ``ngettext("one sale", "{n} sales", n)``, ``pgettext("status", "Paid")`` at the
moment text is shown; ``lazy_("text")`` for module-level constants (looked up each time it is shown, so a
language switch shows at once). Named placeholders with ``.format``, never an f-string inside ``_()``.
The catalogues are ``translations/<lang>/LC_MESSAGES/tillqr.mo`` (``make translations``); a string
without a translation shows its English source.

A switch (``set_language``) calls the listeners of ``on_language_changed``: screens re-read their words,
``app.ui.qt_translations`` reinstalls Qt's own catalogue. A sale in progress is not touched.
"""

from __future__ import annotations

import gettext
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_currency, get_decimal_symbol

DOMAIN = "tillqr"
# The repository's translations/ folder, next to app/ as in an editable install; the PyInstaller spec
# puts the compiled catalogues at the same place in the bundle.
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
# The languages TillQR ships words for ("en" is the source text itself).
LANGUAGES: tuple[str, ...] = ("en", "pt_BR", "es", "hi")
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_NEUTRAL_NAMES = frozenset({"C", "POSIX"})

Width = Literal["short", "medium", "long"]
K = TypeVar("K")


class LanguageError(ValueError):
    """A language code no locale answers to; the message is for people."""


class Amount(Protocol):
    """What ``format_money`` needs of an amount (``app.domain.money.Money`` is one)."""

    @property
    def amount(self) -> Decimal: ...

    @property
    def currency(self) -> str: ...

    @property
    def digits(self) -> int: ...


@dataclass(frozen=True)
class Language:
    """The words and formats in force. ``locale`` None: neutral (English words, plain formats)."""

    locale: Locale | None
    translations: gettext.NullTranslations
    chosen: str  # what was asked for: the store's code, or "" for the environment's

    @property
    def code(self) -> str:
        """ "pt_BR", "hi", … ("" when neutral)."""
        return str(self.locale) if self.locale is not None else ""

    @property
    def neutral(self) -> bool:
        return self.locale is None


# -- choosing -------------------------------------------------------------------------------------------
def parse_language(code: str) -> Locale | None:
    """The Babel locale of ``code`` ("pt_BR", "pt-BR", "pt_BR.UTF-8", "hi_IN@x"); None for C/POSIX;
    LanguageError when no locale answers to it."""
    name = code.strip().split(".")[0].split("@")[0].replace("-", "_")
    if name in _NEUTRAL_NAMES:
        return None
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        raise LanguageError(
            _("{code} is not a language TillQR knows: use a code like pt_BR, es or hi").format(code=repr(code))
        ) from None


def system_languages(environ: Mapping[str, str] | None = None) -> list[Locale]:
    """The environment's languages, most wanted first, as gettext reads them: the first variable of
    ``ENVIRONMENT`` that is set decides; a C/POSIX entry ends the list; codes Babel cannot parse are skipped.
    Empty: neutral."""
    env = os.environ if environ is None else environ
    for var in ENVIRONMENT:
        value = env.get(var, "").strip()
        if not value:
            continue
        found: list[Locale] = []
        for entry in value.split(":") if var == "LANGUAGE" else [value]:
            try:
                locale = parse_language(entry) if entry.strip() else None
            except LanguageError:
                continue
            if locale is None:
                if entry.strip():
                    break  # C or POSIX: neutral from here on
                continue
            found.append(locale)
        return found
    return []


def _catalogue(wanted: list[Locale]) -> gettext.NullTranslations:
    """The gettext chain for ``wanted`` (pt_BR falls back to pt, then to the English source)."""
    names = [str(loc) for loc in wanted] + [loc.language for loc in wanted]
    return gettext.translation(DOMAIN, localedir=str(TRANSLATIONS), languages=names, fallback=True)


def _build(code: str, environ: Mapping[str, str] | None = None) -> Language:
    if code.strip():
        locale = parse_language(code)
        wanted = [locale] if locale is not None else []
    else:
        wanted = system_languages(environ)
    return Language(wanted[0] if wanted else None, _catalogue(wanted), code.strip())


_lock = threading.Lock()
_current: Language | None = None
_held = False  # hold_neutral(): machine output for the rest of the process
_listeners: list[Callable[[Language], None]] = []


def current() -> Language:
    """The language in force (the environment's until ``set_language`` is called)."""
    global _current
    found = _current
    if found is None:
        with _lock:
            if _current is None:
                _current = _build("")
            found = _current
    return found


def set_language(code: str | None) -> Language:
    """Use ``code`` ("pt_BR"; "" or None: the environment's) from now on; the listeners hear of a change.
    LanguageError (nothing changed) when ``code`` is not a language."""
    global _current
    if _held:
        return current()
    chosen = _build(code or "")
    before = current()
    with _lock:
        _current = chosen
    if before.code != chosen.code:
        for listener in list(_listeners):
            listener(chosen)
    return chosen


def hold_neutral() -> Language:
    """Neutral words and formats for the rest of this process, whatever ``set_language`` is asked later: for
    a command whose output is for programs (``--json``, ``charge``'s JSON lines), so that every text in it,
    an error's reason too, reads the same under every language."""
    global _current, _held
    chosen = _build("C")
    with _lock:
        _current, _held = chosen, True
    return chosen


def on_language_changed(listener: Callable[[Language], None]) -> Callable[[], None]:
    """Call ``listener`` with the new language after each switch; returns what stops it."""
    _listeners.append(listener)

    def stop() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return stop


def is_language(code: str) -> bool:
    """Whether ``code`` names a locale ("" too: the system's)."""
    try:
        parse_language(code) if code.strip() else None
    except LanguageError:
        return False
    return True


# -- words ----------------------------------------------------------------------------------------------
def _(message: str) -> str:
    return current().translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return current().translations.pgettext(context, message)


class LazyText:
    """A text looked up each time it is shown (``str()``, ``format``, an f-string): for module constants."""

    __slots__ = ("context", "message")

    def __init__(self, message: str, context: str = "") -> None:
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return pgettext(self.context, self.message) if self.context else _(self.message)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"lazy_({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyText) and (other.message, other.context) == (self.message, self.context)

    def __hash__(self) -> int:
        return hash((self.message, self.context))

    def format(self, *args: object, **kwargs: object) -> str:
        return str(self).format(*args, **kwargs)


def lazy_(message: str) -> LazyText:
    return LazyText(message)


def lazy_p(context: str, message: str) -> LazyText:
    """``pgettext``, looked up when shown."""
    return LazyText(message, context)


class LazyWords(Mapping[K, str]):
    """A table of lazy texts that answers in the language in force: ``WORDS[status]`` is a ``str``."""

    def __init__(self, texts: Mapping[K, LazyText]) -> None:
        self._texts = dict(texts)

    def __getitem__(self, key: K) -> str:
        return str(self._texts[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


# -- formats --------------------------------------------------------------------------------------------
def format_money(money: Amount, language: str | None = None) -> str:
    """An amount as people read it: "R$ 12,50" (pt_BR), "₹1,250.00" (hi), "BRL 12.50" when neutral.
    Babel's CLDR data gives the currency's symbol and place; the decimals are always the currency's.
    ``language``: that locale's form instead of the language in force (a sticker printed in its own language);
    LanguageError when Babel has no data for it."""
    locale = current().locale if language is None else parse_language(language)
    if locale is None:
        return f"{money.currency} {money.amount:.{money.digits}f}"
    pattern = copy(locale.currency_formats["standard"])
    pattern.frac_prec = (money.digits, money.digits)
    return format_currency(money.amount, money.currency, format=pattern, locale=locale, currency_digits=False)


def format_number(value: Decimal | int, digits: int | None = None) -> str:
    """A number with the locale's separators ("1.234,5" in pt_BR); ``digits``: exactly that many decimals.
    Neutral: plain ("1234.5")."""
    locale = current().locale
    if locale is None:
        return f"{value:.{digits}f}" if digits is not None else str(value)
    pattern = copy(locale.decimal_formats[None])
    if digits is not None:
        pattern.frac_prec = (digits, digits)
        return pattern.apply(Decimal(value), locale)
    return pattern.apply(Decimal(value), locale, decimal_quantization=False)


def format_date(day: date, width: Width = "short") -> str:
    """A calendar day: "25/11/2026" (pt_BR, short), "25 de nov. de 2026" (medium); ISO when neutral."""
    locale = current().locale
    return day.isoformat() if locale is None else _babel_date(day, width, locale=locale)


def format_time(when: datetime, *, seconds: bool = False) -> str:
    """A time of day in ``when``'s own zone: "14:05" (pt_BR, es, neutral), "2:05 pm" (hi)."""
    locale = current().locale
    if locale is None:
        return f"{when:%H:%M:%S}" if seconds else f"{when:%H:%M}"
    return _babel_time(when, "medium" if seconds else "short", locale=locale)


def format_datetime(when: datetime, width: Width = "short", *, seconds: bool = True) -> str:
    """A moment in its own time zone: the locale's date of ``width`` and its time ("25/11/2026 14:03:05" in
    pt_BR); "2026-11-25 14:03:05" when neutral. ``seconds=False``: to the minute."""
    locale = current().locale
    if locale is None:
        return f"{when:%Y-%m-%d %H:%M:%S}" if seconds else f"{when:%Y-%m-%d %H:%M}"
    day = _babel_date(when.date(), width, locale=locale)
    time = _babel_time(when, "medium" if seconds else "short", locale=locale)
    return str(locale.datetime_formats[width]).replace("'", "").replace("{0}", time).replace("{1}", day)


def decimal_symbol() -> str:
    """The locale's decimal mark ("," in pt_BR and es; "." when neutral)."""
    locale = current().locale
    return "." if locale is None else get_decimal_symbol(locale)


__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "TRANSLATIONS",
    "Amount",
    "Language",
    "LanguageError",
    "LazyText",
    "LazyWords",
    "_",
    "current",
    "decimal_symbol",
    "format_date",
    "format_datetime",
    "format_money",
    "format_number",
    "is_language",
    "lazy_",
    "lazy_p",
    "ngettext",
    "on_language_changed",
    "parse_language",
    "pgettext",
    "set_language",
    "system_languages",
]
