"""JSON with amounts written as the exact numbers they are: ``Money`` and ``Decimal`` become ``12.50``,
never through float (the providers whose APIs take amounts as JSON numbers: Pix, Depay)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from .money import Money


def dumps(value: Any) -> str:
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("amounts are never floats")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
