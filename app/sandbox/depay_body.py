"""The Depay sandbox's request bodies, validated: create (``validate_create``) and refund (``validate_refund``).

The rules are listed in ``depay.py``'s docstring; each check returns every problem of a body in NestJS
class-validator's words (empty when it is valid), which ``depay.py`` answers as 400 with ``message`` that list.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from app.domain.money import NUMERIC_CODES, max_amount, minor_units

COUNTRY_CURRENCY = {"AR": "ARS", "BR": "BRL"}
REQUIRED = (
    "local_currency",
    "local_country",
    "qr_from",
    "amount",
    "pos_external_reference",
    "external_reference",
    "notification_url",
)
ITEM_TEXT = ("sku_number", "category", "name")
ITEM_NUMBERS = ("quantity", "unit_price", "total_amount")
MAX_TEXT = 255


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


def _amount(value: Any, currency: str | None, field: str, errors: list[str]) -> None:
    if not _is_number(value):
        errors.append(f"{field} must be a number conforming to the specified constraints")
    elif value <= 0:
        errors.append(f"{field} must be a positive number")
    elif currency is not None and currency in COUNTRY_CURRENCY.values():
        digits = minor_units(currency)
        if Decimal(value) != Decimal(value).quantize(Decimal(1).scaleb(-digits)):
            errors.append(f"{field} must have at most {digits} decimal places")
        elif Decimal(value) > max_amount(currency):
            errors.append(f"{field} must not be greater than {max_amount(currency)}")


def _country(body: dict[str, Any], field: str, errors: list[str]) -> str | None:
    value = body[field]
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2}", value):
        errors.append(f"{field} must be a valid ISO31661 Alpha2 code")
    elif value not in COUNTRY_CURRENCY:
        errors.append(f"{field} {value} is not supported: use one of {', '.join(COUNTRY_CURRENCY)}")
    else:
        return value
    return None


def _items(items: Any, errors: list[str]) -> None:
    rows = [items] if isinstance(items, dict) else items
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        errors.append("items must be an array of objects")
        return
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key in ITEM_TEXT and not isinstance(value, str):
                errors.append(f"items.{i}.{key} must be a string")
            elif key in ITEM_NUMBERS and not (_is_number(value) and value >= 0):
                errors.append(f"items.{i}.{key} must be a number conforming to the specified constraints")
            elif key not in ITEM_TEXT + ITEM_NUMBERS:
                errors.append(f"items.{i}.property {key} should not exist")


def validate_create(body: dict[str, Any]) -> list[str]:
    """Every problem of a create body, in NestJS class-validator's words (empty when it is valid)."""
    errors = [f"property {key} should not exist" for key in body if key not in (*REQUIRED, "tax_id", "items")]
    missing = [f for f in REQUIRED if body.get(f) is None or body.get(f) == ""]
    errors += [f"{field} is required" for field in missing]
    for field in ("local_currency", "pos_external_reference", "external_reference", "notification_url", "tax_id"):
        value = body.get(field)
        if field in missing or value is None:
            continue
        if not isinstance(value, str):
            errors.append(f"{field} must be a string")
        elif len(value) > MAX_TEXT:
            errors.append(f"{field} must be shorter than or equal to {MAX_TEXT} characters")
    country = None if "local_country" in missing else _country(body, "local_country", errors)
    if "qr_from" not in missing:
        _country(body, "qr_from", errors)
    currency = body.get("local_currency")
    if "local_currency" not in missing and isinstance(currency, str):
        if currency not in NUMERIC_CODES:
            errors.append("local_currency must be a valid ISO4217 currency code")
        elif country and currency != COUNTRY_CURRENCY[country]:
            errors.append(
                f"local_currency must be {COUNTRY_CURRENCY[country]}, the currency of local_country {country}"
            )
    if "amount" not in missing:
        _amount(body["amount"], currency if isinstance(currency, str) else None, "amount", errors)
    if (
        "notification_url" not in missing
        and isinstance(body["notification_url"], str)
        and not _is_url(body["notification_url"])
    ):
        errors.append("notification_url must be a URL address")
    if body.get("items") is not None:
        _items(body["items"], errors)
    return errors


def validate_refund(body: dict[str, Any]) -> list[str]:
    allowed = ("order_id", "partial", "amount", "notification_url", "reason")
    errors = [f"property {key} should not exist" for key in body if key not in allowed]
    missing = [f for f in ("order_id", "partial", "amount", "reason") if body.get(f) is None or body.get(f) == ""]
    errors += [f"{field} is required" for field in missing]
    if "order_id" not in missing and not isinstance(body["order_id"], str):
        errors.append("order_id must be a string")
    if "partial" not in missing and not isinstance(body["partial"], bool):
        errors.append("partial must be a boolean value")
    if "amount" not in missing:
        _amount(body["amount"], None, "amount", errors)
    if "reason" not in missing and not isinstance(body["reason"], str):
        errors.append("reason must be a string")
    if body.get("notification_url") is not None and not _is_url(body["notification_url"]):
        errors.append("notification_url must be a URL address")
    return errors
