"""AmountEntry: the rules for typing an amount at the counter, without Qt.

Keys come from the on-screen keypad or the keyboard: "0"-"9", "00", "." (or ","),
"back", "clear". The text keeps to what the currency can charge:

- digits and one decimal point, at most the currency's decimals after it (none for
  JPY, three for KWD); "," is read as the decimal point;
- no leading zeros ("0" then "5" is "5"; ".5" is "0.5");
- at most as many digits before the point as the currency's largest sale has
  (``app.domain.money.max_amount``: 7 for BRL's 1,000,000, 8 for INR's 10,000,000),
  so an amount that ``Money.parse`` refuses as too large can still be typed and is
  refused in words, never silently cut; a digit past that is refused and ``refusal``
  says why ("Too large: …").

``paste`` takes a whole amount as text, written either way ("1.234,56", "1,234.56", "12.50",
"12,50"; a lone separator before exactly three digits groups thousands unless the currency has
three decimals), with blanks and the currency's code or a money sign around it; anything else is
refused with ``refusal`` set, and the typed text kept.

``validate`` gives the cashier-readable reason the text cannot be charged.
"""

from __future__ import annotations

import re

from app.domain.money import Money, MoneyError, max_amount, minor_units
from app.i18n import _, decimal_symbol, ngettext

_AROUND = re.compile(r"^(?:[A-Za-z]{3}|R\$|[$€£¥₹])?\s*(?P<n>[0-9.,\s\u00a0\u202f']*?)\s*(?:[A-Za-z]{3})?$")
MAX_PASTE = 40  # longer text is never an amount


def integer_digits(currency: str) -> int:
    """Digits allowed before the point: those of the currency's largest sale."""
    return len(str(int(max_amount(currency))))


class AmountEntry:
    def __init__(self, currency: str):
        self.currency = currency
        self.decimals = minor_units(currency)
        self.max_integer_digits = integer_digits(currency)
        self.text = ""
        self.refusal = ""  # why the last key or paste was refused, in words ("" when it was not said)

    @property
    def placeholder(self) -> str:
        """The greyed hint while nothing is typed: "0.00", "0" (JPY), "0.000" (KWD)."""
        return "0" if self.decimals == 0 else "0" + decimal_symbol() + "0" * self.decimals

    def shown(self, text: str | None = None) -> str:
        """``text`` (by default what is typed, kept with a point) as the store writes it: "12,50" in pt_BR."""
        return (self.text if text is None else text).replace(".", decimal_symbol())

    def press(self, key: str) -> bool:
        """Apply one key; False (and nothing changed) when it does not apply (``refusal``: why, when it is
        worth saying)."""
        self.refusal = ""
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
                self.refusal = self._too_large()
                return None
            else:
                out += digit
        return out

    def paste(self, text: str) -> bool:
        """``text`` as the whole amount; False, with ``refusal`` in words and the typed text kept, when it
        is not an amount this till can take."""
        self.refusal = ""
        plain = self.read_pasted(text)
        if plain is None:
            return False
        self.text = plain
        return True

    def read_pasted(self, text: str) -> str | None:
        """Pasted ``text`` as this entry's text ("1234.56"), or None with ``refusal`` set."""
        found = _AROUND.match(text.strip()) if len(text) <= MAX_PASTE else None
        number = "".join(found.group("n").split()).replace("'", "") if found else ""
        whole, fraction = self._split(number) if any(c.isdigit() for c in number) else (None, "")
        if whole is None:
            self.refusal = _(
                "That is not an amount: paste digits such as {example}. The amount was not changed."
            ).format(example=self.shown("12.50"))
            return None
        whole = whole.lstrip("0") or "0"
        if len(fraction) > self.decimals:
            self.refusal = (
                ngettext(
                    "{currency} takes {n} decimal at most. The amount was not changed.",
                    "{currency} takes {n} decimals at most. The amount was not changed.",
                    self.decimals,
                ).format(currency=self.currency, n=self.decimals)
                if self.decimals
                else _("{currency} has no decimals. The amount was not changed.").format(currency=self.currency)
            )
            return None
        if len(whole) > self.max_integer_digits:
            self.refusal = self._too_large()
            return None
        return whole + (f".{fraction}" if fraction else "")

    def _split(self, number: str) -> tuple[str | None, str]:
        """(digits before the point, digits after) of a number written with "." or "," either way;
        (None, "") when it is not one."""
        seps = [c for c in number if c in ".,"]
        if not seps:
            return number, ""
        last = seps[-1]
        if len(set(seps)) == 2:  # "1.234,56" / "1,234.56": the last one is the point, the other groups
            group = "," if last == "." else "."
            head, _sep, fraction = number.rpartition(last)
            if fraction.isdigit() and self._groups(head, group):
                return head.replace(group, ""), fraction
            return None, ""
        if self._groups(number, last):  # "1.234.567", "1,000"
            return number.replace(last, ""), ""
        head, _sep, fraction = number.partition(last)
        if seps.count(last) == 1 and (not head or head.isdigit()) and fraction.isdigit():
            return head or "0", fraction
        return None, ""

    def _groups(self, number: str, sep: str) -> bool:
        """``number`` is digits grouped by thousands with ``sep`` ("1.234.567"), and not a currency's three
        decimals ("1.234" in KWD is one dinar and 234 fils)."""
        parts = number.split(sep)
        # a thousands group never starts with 0 ("0.001" is a fraction, too fine for most currencies, not 1)
        head_ok = 1 <= len(parts[0]) <= 3 and not parts[0].startswith("0")
        grouped = len(parts) > 1 and head_ok and all(len(p) == 3 for p in parts[1:])
        if not grouped or not all(p.isdigit() for p in parts):
            return False
        return not (len(parts) == 2 and self.decimals == 3)

    def _too_large(self) -> str:
        largest = Money.parse(str(max_amount(self.currency)), self.currency).display()
        return _("Too large: the largest sale this till takes is {largest}.").format(largest=largest)

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
