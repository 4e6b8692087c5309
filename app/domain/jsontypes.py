"""JSON values as types, for the signatures that take or give JSON (imports nothing from app).

``Json`` is what ``json.loads`` gives (with ``parse_float=Decimal``, a ``Decimal`` where a number has a
fraction) and what ``json.dumps`` / ``app.domain.exact_json`` write; ``JsonObject`` is one JSON object.
Code that reads an answer it does not trust takes ``object`` and narrows it itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

Json: TypeAlias = None | bool | int | float | str | Decimal | list["Json"] | dict[str, "Json"]
JsonObject: TypeAlias = dict[str, Json]
