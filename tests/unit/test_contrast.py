"""Text contrast of at least 4.5:1 (WCAG 2.2 AA, 1.4.3) in every style sheet TillQR applies: resources/style.qss,
the same with the high-contrast sheet after it (which itself reaches 7:1, AAA), and the widgets' own sheets in app/ui.

Each rule's text colour is paired with its background: the rule's own, else the nearest rule that names a background
for the same widget (the selector without its state, the container of a descendant selector, the bare type), else
the light surfaces the pages are painted on. A background without a text colour is paired with the sheet's text
colour, unless descendant rules give its texts their own (they are checked themselves)."""

from __future__ import annotations

import importlib
import re

import pytest

from app.ui import qss

DEFAULT_TEXT = "#111111"  # QWidget { color } in resources/style.qss
LIGHT_SURFACES = ("#ffffff", "#f4f6f8")  # pages, panels, fields (a sheet's QWidget rule may say otherwise)
AA, AAA = 4.5, 7.0
# the widgets' own sheets: module → the constants holding one
INLINE = {
    "app.ui.cashier_view": ("STYLE",),
    "app.ui.field_view": ("STYLE",),
    "app.ui.field_page": ("NOTE_STYLE",),
    "app.ui.journal_view": ("STYLE",),
    "app.ui.kiosk": ("STYLE",),
    "app.ui.main_window": ("NAV_STYLE",),
    "app.ui.pin_dialog": ("STYLE",),
    "app.ui.settings_view": ("STYLE",),
    "app.ui.shift_dialog": ("STYLE",),
}


def _background(props: dict[str, str]) -> str | None:
    for name in ("background-color", "background"):
        if name in props and qss.parse_color(props[name]) is not None:
            return props[name]
    return None


def _candidates(selector: str) -> list[str]:
    """Where the background behind ``selector``'s text may be declared, nearest first."""
    out = [selector]
    plain = re.sub(r"::?[\w-]+(?=[\s\[]|$)", "", selector)  # :pressed, :disabled, ::section
    out.append(plain)
    parts = plain.split(" ")
    last = parts[-1]
    out.append(re.sub(r"\[[^\]]*\]", "", last) if len(parts) == 1 else plain)
    if len(parts) > 1:
        out.append(" ".join(parts[:-1]))  # the container a descendant selector names
    out.append(re.sub(r"[#\[].*$", "", last))  # the bare type: QPushButton
    return list(dict.fromkeys(out))


def pairs(sheet: str) -> list[tuple[str, str, list[str]]]:
    """(selector, text colour, backgrounds it may stand on) for every rule that sets a text or background colour."""
    merged: dict[str, dict[str, str]] = {}  # a later rule for the same selector wins (the cascade, simplified)
    for rule in qss.rules(sheet):
        merged.setdefault(rule.selector, {}).update(rule.props)
    rules = [qss.Rule(selector, props) for selector, props in merged.items()]
    default_text = next(
        (r.props["color"] for r in reversed(rules) if r.selector == "QWidget" and "color" in r.props), DEFAULT_TEXT
    )
    page = next(
        (_background(r.props) for r in reversed(rules) if r.selector == "QWidget" and _background(r.props)), None
    )
    surfaces = [page] if page else list(LIGHT_SURFACES)
    backgrounds: dict[str, str] = {}
    for rule in rules:
        bg = _background(rule.props)
        if bg is not None:
            backgrounds[rule.selector] = bg
    found = []
    for rule in rules:
        text, bg = rule.props.get("color"), _background(rule.props)
        if text is not None and bg is not None:
            found.append((rule.selector, text, [bg]))
        elif text is not None:
            behind = next((backgrounds[c] for c in _candidates(rule.selector)[1:] if c in backgrounds), None)
            found.append((rule.selector, text, [behind] if behind else surfaces))
        elif bg is not None:
            inside = _texts_inside(rule.selector, rules)
            if inside:
                found += [(rule.selector + " (its texts)", colour, [bg]) for colour in inside]
                continue
            colour = next(
                (
                    r.props["color"]
                    for c in _candidates(rule.selector)[1:]
                    for r in rules
                    if r.selector == c and "color" in r.props
                ),
                default_text,
            )
            found.append((rule.selector, colour, [bg]))
        if "selection-color" in rule.props and "selection-background-color" in rule.props:
            found.append(
                (
                    rule.selector + " (selection)",
                    rule.props["selection-color"],
                    [rule.props["selection-background-color"]],
                )
            )
        if "alternate-background-color" in rule.props:
            found.append(
                (rule.selector + " (alternate rows)", text or default_text, [rule.props["alternate-background-color"]])
            )
    return found


def _texts_inside(selector: str, rules: list[qss.Rule]) -> list[str]:
    """The colours descendant rules give the texts painted straight on ``selector``'s background (without one of
    their own): per kind of text, the rule of the most specific container that matches."""
    best: dict[str, tuple[int, str]] = {}
    for r in rules:
        if " " not in r.selector or "color" not in r.props or _background(r.props) is not None:
            continue
        container, text = r.selector.rsplit(" ", 1)
        if selector.startswith(container) and len(container) >= best.get(text, (-1, ""))[0]:
            best[text] = (len(container), r.props["color"])
    return [colour for _, colour in best.values()]


def failures(sheet: str, minimum: float) -> list[str]:
    out = []
    for selector, text, backgrounds in pairs(sheet):
        fg = qss.parse_color(text)
        if fg is None:
            continue
        for bg in backgrounds:
            ratio = qss.contrast_ratio(fg, qss.parse_color(bg) or (255, 255, 255))
            if ratio < minimum:
                out.append(f"{selector}: {text} on {bg} is {ratio:.2f}:1")
    return out


def _inline_sheets() -> list[tuple[str, str]]:
    sheets = []
    for module, names in INLINE.items():
        mod = importlib.import_module(module)
        sheets += [(f"{module}.{name}", getattr(mod, name)) for name in names]
    return sheets


def test_the_contrast_formula_matches_wcag_examples():
    assert qss.contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert qss.contrast_ratio((0x77, 0x77, 0x77), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert failures("QLabel { color: #777777; background: #ffffff; }", AA)  # the checker does fail


def test_the_style_sheet_has_aa_contrast_everywhere():
    sheet = qss.STYLE.read_text(encoding="utf-8")
    assert len(pairs(sheet)) > 40
    assert failures(sheet, AA) == []


def test_the_high_contrast_sheet_reaches_aaa_and_keeps_aa_over_the_normal_one():
    contrast = qss.CONTRAST_STYLE.read_text(encoding="utf-8")
    assert failures(contrast, AAA) == []
    assert failures(qss.STYLE.read_text(encoding="utf-8") + contrast, AA) == []


@pytest.mark.parametrize(("name", "sheet"), _inline_sheets(), ids=lambda v: v if "." in v and "{" not in v else "")
def test_widget_style_sheets_have_aa_contrast(name, sheet):
    """A widget's own sheet beats the application's; in high contrast the contrast rules follow it (qss.local)."""
    assert pairs(sheet), name
    base, contrast = qss.STYLE.read_text(encoding="utf-8"), qss.CONTRAST_STYLE.read_text(encoding="utf-8")
    assert failures(base + sheet, AA) == []
    assert failures(base + contrast + sheet + contrast, AA) == []


def test_text_scale_scales_every_font_size():
    sheet = "QLabel { font-size: 20px; } QPushButton#key { font-size: 30px; font-weight: bold; }"
    assert (
        qss.scaled(sheet, 150) == "QLabel { font-size: 30px; } QPushButton#key { font-size: 45px; font-weight: bold; }"
    )
    assert qss.scaled(sheet, 100) == sheet


def test_the_accessibility_settings_are_read_validated_and_kept(tmp_path):
    from app.config import settings as s

    path = tmp_path / "config.toml"
    path.write_text("[accessibility]\nhigh_contrast = true\ntext_scale = 150\n", encoding="utf-8")
    assert qss.look_of(path) == qss.Look(high_contrast=True, text_scale=150)
    loaded = s.load(path)
    assert loaded is not None and "[accessibility]\nhigh_contrast = true\ntext_scale = 150" in s.dumps(loaded)
    path.write_text("[accessibility]\ntext_scale = 250\n", encoding="utf-8")
    with pytest.raises(s.SettingsError, match="accessibility.text_scale must be between 100 and 200"):
        s.load(path)
    assert qss.look_of(path) == qss.Look()  # a broken file: the normal look (Settings names the problem)
    assert qss.look_of(None) == qss.Look()
