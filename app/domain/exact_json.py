"""JSON with amounts written as the exact numbers they are: ``Money`` and ``Decimal`` become ``12.50``,
never through float (the providers whose APIs take amounts as JSON numbers: Pix, Depay)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TypeAlias

from .money import Money

# What ``dumps`` writes: JSON (read-only containers, so a ``dict[str, str]`` is one too) with ``Money`` and
# ``Decimal`` as exact numbers; never a float (refused: "amounts are never floats").
ExactJson: TypeAlias = None | bool | int | str | Decimal | Money | Sequence["ExactJson"] | Mapping[str, "ExactJson"]
ExactObject: TypeAlias = dict[str, ExactJson]  # a JSON object ``dumps`` writes


def dumps(value: ExactJson) -> str:
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("amounts are never floats")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
