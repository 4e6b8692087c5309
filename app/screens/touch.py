"""Touch sizes without Qt: millimetres on the glass turned into the screen's pixels.

A finger needs a target of about 9 mm (``MIN_TOUCH_MM``); how many pixels that is depends on the
screen's density, which the UI reads from Qt (``QScreen.physicalDotsPerInch``, in the logical pixels
widgets are laid out in). Screens that report nothing usable (no EDID, a projector's 0 mm, a virtual
display) count as ``FALLBACK_DPI``.
"""

from __future__ import annotations

import math

MIN_TOUCH_MM = 9.0  # a fingertip's target: the smallest key or button a cashier presses
FALLBACK_DPI = 96.0  # the desktop convention, when the screen does not say its size
PLAUSIBLE_DPI = (50.0, 400.0)  # outside this, the reported size is wrong (a 0 mm or a 16x9 "mm" EDID)
MM_PER_INCH = 25.4


def usable_dpi(reported: float | None) -> float:
    """``reported`` when it is a plausible density, else ``FALLBACK_DPI``."""
    if reported is None or not math.isfinite(reported):
        return FALLBACK_DPI
    low, high = PLAUSIBLE_DPI
    return reported if low <= reported <= high else FALLBACK_DPI


def mm_to_px(mm: float, dpi: float) -> int:
    """``mm`` millimetres in whole pixels at ``dpi`` pixels per inch, rounded up (never smaller than asked)."""
    if mm < 0 or dpi <= 0:
        raise ValueError(f"a length and a density must be positive, not {mm} mm at {dpi} dpi")
    return math.ceil(round(mm / MM_PER_INCH * dpi, 6))


def px_to_mm(px: int, dpi: float) -> float:
    """``px`` pixels in millimetres at ``dpi`` (for messages and tests)."""
    if dpi <= 0:
        raise ValueError(f"a density must be positive, not {dpi} dpi")
    return px / dpi * MM_PER_INCH


def touch_px(reported_dpi: float | None, mm: float = MIN_TOUCH_MM) -> int:
    """The smallest side, in pixels, of a target a finger can hit on a screen reporting ``reported_dpi``."""
    return mm_to_px(mm, usable_dpi(reported_dpi))
