"""What a decoder found wrong with a payload: errors (it cannot be trusted to mean one thing) and warnings
(it departs from the letter of its standard, but reads unambiguously: what was tolerated).

The rule every check follows (the list is in :mod:`app.qr.emv`'s docstring): broken structure, a CRC that
does not match, a missing mandatory field, a wrong scheme identifier and a value the money depends on
(amount, currency, the scheme's country, the payee) are errors; everything a banking app in the wild
reads anyway (UTF-8 and emoji in free text, a proxy without its country code, an over-long name, a
lower-case CRC, lengths counted in UTF-8 bytes) is a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Findings:
    """The errors and warnings of one payload, in the order they were found."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, text: str) -> None:
        self.errors.append(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)
