"""AmountEntry: the rules for typing an amount at the counter, without Qt.

Keys come from the on-screen keypad or the keyboard: "0"-"9", "00", "." (or ","),
"back", "clear". The text keeps to what the currency can charge:

- digits and one decimal point, at most the currency's decimals after it (none for
  JPY, three for KWD); "," is read as the decimal point;
- no leading zeros ("0" then "5" is "5"; ".5" is "0.5");
- at most as many digits before the point as the currency's largest sale has
  (``app.domain.money.max_amount``: 7 for BRL's 1,000,000, 8 for INR's 10,000,000),
  so an amount that ``Money.parse`` refuses as too large can still be typed and is
  refused in words, never silently cut.

``validate`` gives the cashier-readable reason the text cannot be charged.
"""

from __future__ import annotations

from app.domain.money import Money, MoneyError, max_amount, minor_units


def integer_digits(currency: str) -> int:
    """Digits allowed before the point: those of the currency's largest sale."""
    return len(str(int(max_amount(currency))))


class AmountEntry:
    def __init__(self, currency: str):
        self.currency = currency
        self.decimals = minor_units(currency)
        self.max_integer_digits = integer_digits(currency)
        self.text = ""

    @property
    def placeholder(self) -> str:
        """The greyed hint while nothing is typed: "0.00", "0" (JPY), "0.000" (KWD)."""
        return "0" if self.decimals == 0 else "0." + "0" * self.decimals

    def press(self, key: str) -> bool:
        """Apply one key; False (and nothing changed) when it does not apply."""
        new = self.typed(self.text, key)
        if new is None or new == self.text:
            return False
        self.text = new
        return True

    def clear(self) -> None:
        self.text = ""

    def typed(self, text: str, key: str) -> str | None:
        """``text`` after ``key``, or None when the key is refused."""
        if key == "back":
            return text[:-1]
        if key == "clear":
            return ""
        if key in (".", ","):
            if self.decimals == 0 or "." in text:
                return None
            return (text or "0") + "."
        if not key.isdigit() or not key.isascii():
            return None
        out = text
        for digit in key:
            if "." in out:
                if len(out.split(".")[1]) >= self.decimals:
                    return None
                out += digit
            elif out == "0":
                out = digit  # no leading zeros: "0" then "5" is "5"
            elif len(out) >= self.max_integer_digits:
                return None
            else:
                out += digit
        return out

    def money(self) -> Money:
        """The typed amount as Money; MoneyError (in words) when it cannot be charged."""
        return Money.parse(self.text, self.currency)

    def validate(self) -> str | None:
        """The cashier-readable reason the typed amount cannot be charged, or None."""
        try:
            self.money()
        except MoneyError as exc:
            return sentence(str(exc))
        return None


def sentence(text: str) -> str:
    """A message as a sentence: capital first letter, surrounding blanks gone."""
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text
