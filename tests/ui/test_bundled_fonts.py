"""The bundled fonts (resources/fonts/) draw Hindi and the rupee sign with no .notdef box, on a machine whose
fontconfig finds no font at all (a child process with an empty fontconfig configuration), and are the
application's font families."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from app.qr.printlayout import BUNDLED_FAMILIES, FONT_FAMILIES
from app.ui.fonts import FONT_DIR, FONT_FILES

HINDI = "कुल ₹1,250.00"

CHILD = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtGui import QFontDatabase, QFontInfo, QGuiApplication, QImage, QPainter, QTextLayout, QColor
    app = QGuiApplication([])
    before = QFontDatabase.families()
    from app.ui.fonts import apply_app_font
    font = apply_app_font(app, 150)
    layout = QTextLayout(sys.argv[1], font)
    layout.beginLayout(); layout.createLine(); layout.endLayout()
    runs = [(run.rawFont().familyName(), list(run.glyphIndexes())) for run in layout.glyphRuns()]
    image = QImage(800, 120, QImage.Format.Format_RGB32); image.fill(QColor("white"))
    painter = QPainter(image); painter.setFont(font); painter.setPen(QColor("black"))
    painter.drawText(10, 80, sys.argv[1]); painter.end()
    inked = sum(1 for x in range(800) for y in range(120) if image.pixelColor(x, y).lightness() < 128)
    print(json.dumps({"before": before, "families": app.font().families(), "resolved": QFontInfo(app.font()).family(),
                      "points": app.font().pointSizeF(), "runs": runs, "inked": inked}))
    """
)


def test_the_bundle_holds_static_regular_and_bold_with_the_licence():
    for name in FONT_FILES:
        assert (FONT_DIR / name).stat().st_size > 100_000, name
    for licence in ("OFL-NotoSans.txt", "OFL-NotoSansDevanagari.txt"):
        assert "SIL Open Font License" in (FONT_DIR / licence).read_text(encoding="utf-8")
    assert FONT_FAMILIES[: len(BUNDLED_FAMILIES)] == BUNDLED_FAMILIES  # printing asks for them first


def test_hindi_renders_with_no_box_when_the_machine_has_no_fonts(tmp_path):
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FONTCONFIG_FILE": str(conf), "QT_LOGGING_RULES": "*=false"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, HINDI], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert not [f for f in seen["before"] if "DejaVu" in f or "Noto" in f]  # fontconfig found no font of its own
    assert seen["families"] == list(BUNDLED_FAMILIES)
    assert seen["resolved"] == "Noto Sans"
    assert seen["points"] == 18.0  # 150 % of 12 pt
    glyphs = [g for _family, indexes in seen["runs"] for g in indexes]
    assert glyphs and 0 not in glyphs, seen["runs"]  # glyph 0 is .notdef: the empty box
    assert {family for family, _ in seen["runs"]} <= set(BUNDLED_FAMILIES)
    assert seen["inked"] > 500  # something was drawn


def test_every_character_of_the_hindi_total_has_a_glyph_in_the_bundled_families(qapp):
    from PySide6.QtGui import QFont, QRawFont

    from app.ui.fonts import load_bundled_fonts

    assert set(load_bundled_fonts()) == set(BUNDLED_FAMILIES)
    raw = [QRawFont.fromFont(QFont(family)) for family in BUNDLED_FAMILIES]
    assert [r.familyName() for r in raw] == list(BUNDLED_FAMILIES)
    missing = [c for c in HINDI if not c.isspace() and not any(r.supportsCharacter(ord(c)) for r in raw)]
    assert missing == []
    assert not raw[0].supportsCharacter(ord("掃"))  # the check can fail: no CJK in the bundle
