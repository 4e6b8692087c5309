"""The compiled catalogues (translations/<lang>/LC_MESSAGES/tillqr.mo) built from their .po when missing or older.

``make setup`` and ``make test`` build them with pybabel; this does the same for a plain ``pytest`` on a fresh
clone (tests/conftest.py), each file written whole (a temporary file renamed) so that workers running at once
never read half of one.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def catalogue_sources(root: Path = TRANSLATIONS) -> list[Path]:
    return sorted(root.glob("*/LC_MESSAGES/tillqr.po"))


def compile_stale(root: Path = TRANSLATIONS) -> list[Path]:
    """Compile every .po whose .mo is missing or older; the .mo files written."""
    written = []
    for po in catalogue_sources(root):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with open(po, "rb") as fh:
            catalogue = read_po(fh, locale=po.parents[1].name)
        tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            write_mo(fh, catalogue)  # fuzzy entries left out, as pybabel compile does
        os.replace(tmp, mo)
        written.append(mo)
    return written
