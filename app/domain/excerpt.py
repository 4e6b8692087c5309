"""How a message quotes what a user typed or a file held: a short excerpt, never the whole of it.

A 10,000-digit amount, a megabyte of QR payload or a CSV cell full of garbage must not come back in full
on a cashier's screen or a terminal: ``excerpt`` quotes at most ``EXCERPT_CHARS`` characters of it
(escaped like ``repr``, so control characters cannot reach the terminal) and says how long the whole was.
Every message in TillQR that quotes a user's input goes through it.
"""

from __future__ import annotations

EXCERPT_CHARS = 24  # characters of the input itself in a message; the rest is counted, not shown
_HUGE_INT_BITS = 10_000  # str() refuses ints of over 4,300 digits (about 14,000 bits): they are described


def plain_text(value: object) -> str:
    """``value`` as text (a number too long for ``str()`` as a phrase saying so)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and value.bit_length() > _HUGE_INT_BITS:
        return f"<a number of about {value.bit_length() * 0.30103:,.0f} digits>"
    return str(value)


def excerpt(value: object, limit: int = EXCERPT_CHARS, *, bare: bool = False) -> str:
    """``value`` quoted for a message (like ``repr`` of its text); when longer than ``limit`` characters,
    its first ``limit`` characters, an ellipsis and its length: ``'12345678…' (10,000 characters)``.
    ``bare``: a short text of printable characters without blanks is given as it is, unquoted (a name)."""
    if isinstance(value, int) and value.bit_length() > _HUGE_INT_BITS:
        return plain_text(value)  # a phrase about it, not its digits
    text = plain_text(value)
    if len(text) <= limit:
        return text if bare and text.isprintable() and text and not any(c.isspace() for c in text) else repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


__all__ = ["EXCERPT_CHARS", "excerpt", "plain_text"]
