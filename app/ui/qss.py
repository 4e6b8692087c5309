"""The look: resources/style.qss, with resources/style-contrast.qss after it in high contrast, every ``font-size``
scaled by the accessibility setting's text scale (``[accessibility]`` in config.toml). Qt-free text work, so the
contrast test (tests/unit/test_contrast.py) reads the same rules the app applies.

``sheet(look)`` is the application's style sheet; ``local(style)`` is what a widget's own style sheet becomes under
the current look (a widget's own sheet beats the application's whatever the selectors, so the contrast rules
follow it there). ``rules``, ``parse_color`` and ``contrast_ratio`` (WCAG 2.2's formula) read colours back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.config.paths import RESOURCES
from app.config.settings import Settings, SettingsError, load

STYLE = RESOURCES / "style.qss"
CONTRAST_STYLE = RESOURCES / "style-contrast.qss"
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_FONT_SIZE = re.compile(r"(font-size:\s*)(\d+(?:\.\d+)?)(px|pt)")
_NAMED = {"white": "#ffffff", "black": "#000000"}


@dataclass(frozen=True)
class Look:
    """The accessibility settings the look follows."""

    high_contrast: bool = False
    text_scale: int = 100  # percent


@dataclass(frozen=True)
class Rule:
    selector: str  # one selector of the rule's list, whitespace collapsed
    props: dict[str, str]


_current = Look()


def look_of(config_file: Path | None) -> Look:
    """The look ``config_file`` asks for; the default one when there is none or it cannot be read (the GUI says
    why elsewhere: app/ui/app.py opens Settings on a broken file)."""
    try:
        settings = load(config_file) if config_file is not None else None
    except SettingsError:
        settings = None
    s = settings or Settings()
    return Look(s.high_contrast, s.text_scale)


def current() -> Look:
    return _current


def scaled(style: str, percent: int) -> str:
    """``style`` with every font-size multiplied by ``percent`` / 100 (whole pixels or points)."""
    if percent == 100:
        return style
    return _FONT_SIZE.sub(lambda m: f"{m[1]}{round(float(m[2]) * percent / 100)}{m[3]}", style)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def sheet(look: Look) -> str:
    """The application's style sheet for ``look`` (OSError when resources/style.qss cannot be read); makes
    ``look`` the current one, which ``local`` follows."""
    global _current
    text = _read(STYLE) + ("\n" + _read(CONTRAST_STYLE) if look.high_contrast else "")
    _current = look
    return scaled(text, look.text_scale)


def local(style: str) -> str:
    """A widget's own style sheet under the current look: text scaled, contrast rules after it."""
    look = _current
    if look.high_contrast:
        try:
            style += "\n" + _read(CONTRAST_STYLE)
        except OSError:
            pass  # the application's sheet said so already
    return scaled(style, look.text_scale)


def rules(style: str) -> list[Rule]:
    """The rules of a style sheet, one per selector of each rule's list, in order; a sheet of bare
    declarations (``widget.setStyleSheet("color: …")``) is one rule with the selector ``*``."""
    text = _COMMENT.sub("", style)
    found: list[Rule] = []
    for selectors, body in _RULE.findall(text):
        props = _props(body)
        found += [Rule(" ".join(s.split()), props) for s in selectors.split(",") if s.strip()]
    if not found and text.strip():
        found.append(Rule("*", _props(text)))
    return found


def _props(body: str) -> dict[str, str]:
    props: dict[str, str] = {}
    for declaration in body.split(";"):
        name, sep, value = declaration.partition(":")
        if sep:
            props[name.strip().lower()] = value.strip()
    return props


def parse_color(value: str) -> tuple[int, int, int] | None:
    """An opaque colour of a declaration ("#1f2933", "#fff", "white"); None for anything else (transparent,
    gradients, palette roles)."""
    text = _NAMED.get(value.strip().lower(), value.strip().lower())
    match = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", text)
    if not match:
        return None
    digits = match[1] if len(match[1]) == 6 else "".join(c * 2 for c in match[1])
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2.2's contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
