"""Pix keys as DICT (the Brazilian Central Bank's directory) registers them: CPF or CNPJ digits with their
check digits, a +55 phone number, an e-mail address, or a random key (UUID); and the forms a payer's bank reads
anyway (a phone without +55, a punctuated CPF), which a decoder warns about. Qt-free; nothing raises."""

from __future__ import annotations

import re

from app.i18n import _

_PIX_PHONE = re.compile(r"^\+55[1-9][0-9]9?[0-9]{8}$")
_PIX_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PIX_EVP = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _check_digits_ok(digits: str) -> bool:
    """CPF (11 digits) or CNPJ (14 digits) with its two check digits (mod 11)."""
    weights = (
        [list(range(10, 1, -1)), list(range(11, 1, -1))]
        if len(digits) == 11
        else [[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]]
    )
    if len(set(digits)) == 1:
        return False
    for w in weights:
        n = len(w)
        r = sum(int(d) * k for d, k in zip(digits[:n], w)) % 11
        if int(digits[n]) != (0 if r < 2 else 11 - r):
            return False
    return True


def pix_key_problem(key: str) -> str | None:
    """Why ``key`` is not a Pix key (DICT: CPF or CNPJ digits, +55 phone, e-mail, or a random UUID key), or None."""
    k = key.strip() if isinstance(key, str) else ""
    if k.isdigit() and len(k) in (11, 14):
        if _check_digits_ok(k):
            return None
        return _("{key} is not a valid {kind} (check digits)").format(key=k, kind="CPF" if len(k) == 11 else "CNPJ")
    if _PIX_PHONE.match(k) or _PIX_EVP.match(k) or (_PIX_EMAIL.match(k) and len(k) <= 77):
        return None
    if k.startswith("+"):
        return _(
            "{key!r} is not a Brazilian phone key: write it as +55, the area code and the number (+5561912345678)"
        ).format(key=k)
    if any(c.isdigit() for c in k) and all(c.isdigit() or c in ".-/ ()" for c in k):
        return _("{key!r}: write a CPF (11) or CNPJ (14) as digits only, and a phone as +55…").format(key=k)
    return _(
        "{key!r} is not a Pix key: use CPF/CNPJ digits, a +55 phone number, an e-mail address, or a random key (UUID)"
    ).format(key=k)


def pix_key_warning(key: str) -> str | None:
    """A Pix key in a form DICT does not use, read anyway: a phone without +55, a punctuated CPF, ..."""
    problem = pix_key_problem(key)
    if problem is None:
        return None
    digits = re.sub(r"[\s().\-/]", "", key)
    if re.fullmatch(r"[1-9][1-9]9?[0-9]{8}", digits):
        return _("the Pix key {key!r} looks like a Brazilian phone number without +55 (banks look up {phone})").format(
            key=key, phone=f"+55{digits}"
        )
    if re.fullmatch(r"\+?55[1-9][1-9]9?[0-9]{8}", digits):
        return _("the Pix key {key!r} looks like a Brazilian phone number not written as {phone}").format(
            key=key, phone=f"+55{digits.lstrip('+')[2:]}"
        )
    return _("the Pix key {key!r} is not in a form DICT uses ({problem}); the payer's bank decides").format(
        key=key, problem=problem
    )


__all__ = ["pix_key_problem", "pix_key_warning"]
