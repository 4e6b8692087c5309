"""The printed sticker's words in the sticker's own language, which need not be the store's: a UPI sticker
speaks English and Hindi, ``tillqr qr build --lang fr`` French. For the languages TillQR ships catalogues for
(en, pt, es, hi) they are read from that language's catalogue (``translations/``, context "sticker"); for the
others the sticker speaks, "scan to pay" is written here and the rest stays in English. Qt-free."""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Mapping

from app.i18n import DOMAIN, TRANSLATIONS, LazyText, current, lazy_p

SCAN = lazy_p("sticker", "Scan to pay")
PIX_KEY = lazy_p("sticker", "Pix key: {key}")
UPI_ID = lazy_p("sticker", "UPI ID: {id}")

#: The sticker's languages with a TillQR catalogue, and that catalogue's code.
CATALOGUED: dict[str, str] = {"pt": "pt_BR", "en": "en", "es": "es", "hi": "hi"}
#: "Scan to pay" in the sticker's languages that have no TillQR catalogue.
OTHER_SCAN: dict[str, str] = {
    "fr": "Scannez pour payer",
    "de": "Scannen und bezahlen",
    "ms": "Imbas untuk bayar",
    "zh-hk": "掃碼付款",
    "zh": "扫码付款",
}
ORDER = ("pt", "en", "es", "fr", "de", "ms", "zh-hk", "zh", "hi")  # as ``--lang``'s help lists them


def catalogue(lang: str) -> gettext.NullTranslations:
    """TillQR's words in sticker language ``lang`` ("pt", "hi"); the English source for one without a catalogue."""
    code = CATALOGUED.get(lang, "en")
    if code == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(TRANSLATIONS), languages=[code], fallback=True)


def say(text: LazyText, lang: str) -> str:
    """``text`` as the sticker prints it in ``lang``."""
    if text == SCAN and lang in OTHER_SCAN:
        return OTHER_SCAN[lang]
    return catalogue(lang).pgettext(text.context, text.message)


class ScanToPay(Mapping[str, str]):
    """ "Scan to pay" in every language a sticker speaks, by its ``--lang`` code."""

    def __getitem__(self, lang: str) -> str:
        if lang not in ORDER:
            raise KeyError(lang)
        return say(SCAN, lang)

    def __iter__(self) -> Iterator[str]:
        return iter(ORDER)

    def __len__(self) -> int:
        return len(ORDER)


def store_language() -> str | None:
    """The store's language as a sticker language ("pt" for pt_BR, "zh-hk" for zh_Hant_HK), None when neutral
    or one no sticker speaks."""
    locale = current().locale
    if locale is None:
        return None
    code = (
        "zh-hk"
        if locale.language == "zh" and (locale.territory == "HK" or locale.script == "Hant")
        else locale.language
    )
    return code if code in ORDER else None
