"""Qt's own words (the buttons and titles of its built-in dialogs: Cancel, Save, Open…) in the store's
language: a ``QTranslator`` with Qt's bundled ``qtbase_<lang>.qm``, put in again when the language changes.

Qt ships catalogues for es and pt_BR (and en); none for hi, where Qt's dialogs stay in English. The bundle
keeps only those (packaging/modules.py ``QT_LANGUAGES``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

from app.i18n import Language, current, on_language_changed


def qt_translations_folder() -> str:
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


class QtTranslations:
    """The translator of Qt's own catalogue installed in ``app`` for the language in force, and again on each
    switch (``app.i18n.on_language_changed``) until ``stop()``."""

    def __init__(self, app: QCoreApplication) -> None:
        self.app = app
        self.translator: QTranslator | None = None
        self.loaded = ""  # the catalogue's language loaded ("" when none: English or a language Qt lacks)
        self._stop: Callable[[], None] = on_language_changed(self.install)
        self.install(current())

    def install(self, language: Language) -> None:
        if self.translator is not None:
            QCoreApplication.removeTranslator(self.translator)
            self.translator = None
        self.loaded = ""
        if language.neutral or language.code.split("_")[0] == "en":
            return
        translator = QTranslator(self.app)
        # "qtbase_pt_BR", then "qtbase_pt": QTranslator.load drops the suffixes one by one
        if translator.load(f"qtbase_{language.code}", qt_translations_folder()):
            QCoreApplication.installTranslator(translator)
            self.translator = translator
            self.loaded = translator.language()

    def stop(self) -> None:
        self._stop()
        if self.translator is not None:
            QCoreApplication.removeTranslator(self.translator)
            self.translator = None


def install_qt_translations(app: QCoreApplication) -> QtTranslations:
    """Qt's dialogs in the store's language from now on (kept up to date on a switch)."""
    return QtTranslations(app)
