"""The sandbox's records as JSON and back (``persist.py`` writes them): values in a tagged form, records field
by field.

``encode(value)`` gives JSON that ``decode`` reads back to an equal value: ``{"$money": [minor, currency]}``,
``{"$datetime": iso}``, ``{"$date": iso}``, ``{"$decimal": "12.50"}``, ``{"$timedelta": [days, s, µs]}``,
``{"$tuple": [...]}``, ``{"$enum": "module.Class", "value": ...}``, ``{"$dataclass": "module.Class",
"fields": {...}}`` (classes of ``app.sandbox`` and ``app.domain`` only: a saved file never names other code)
and ``{"$dict": {...}}`` for a dict whose keys could be taken for a tag. ``record``/``from_record`` write a
``SimRequest`` or ``SimLink`` field by field (``dataclasses.fields``: a plain field added to either is kept
with no change here), leaving out ``REBUILT`` ones (functions; the provider's ``revive`` hook rebuilds them),
and check each field read back against its declared type.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import types
import typing
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from app.domain.jsontypes import Json, JsonObject
from app.domain.money import Money

from .model import SimLink, SimRequest

REBUILT = frozenset({"owed"})  # SimRequest fields never written: the provider's revive hook rebuilds them
CLASS_ROOTS = ("app.sandbox.", "app.domain.")  # the only modules a saved "$dataclass"/"$enum" may name
R = TypeVar("R", SimRequest, SimLink)


class Damaged(ValueError):
    """A saved state that cannot be read back; the message says why."""


# -- values <-> tagged JSON ----------------------------------------------------------------------
def _name(cls: type) -> str:
    name = f"{cls.__module__}.{cls.__qualname__}"
    if not name.startswith(CLASS_ROOTS) or "._" in name or "." in cls.__qualname__:
        raise TypeError(f"the sandbox's state cannot hold a {name} (only app.sandbox and app.domain public classes)")
    return name


def _class(name: object) -> type:
    if not isinstance(name, str) or not name.startswith(CLASS_ROOTS) or "._" in name:  # no __main__, no privates
        raise Damaged(f"unexpected class {name!r}")
    module, _, qualname = name.rpartition(".")
    found = getattr(importlib.import_module(module), qualname, None)
    if not isinstance(found, type):
        raise Damaged(f"no class {name}")
    return found


def encode(value: object) -> Json:
    """``value`` as tagged JSON (see the module's docstring); TypeError for what cannot be written."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):  # before str and int: a str-valued enum is a str too
        return {"$enum": _name(type(value)), "value": encode(value.value)}
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, Money):
        return {"$money": [value.minor, value.currency]}
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"the sandbox's state cannot hold a dict with keys {list(value)!r}: only text keys")
        plain = {k: encode(v) for k, v in value.items()}
        return {"$dict": plain} if any(k.startswith("$") for k in value) else plain
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"$dataclass": _name(type(value)), "fields": fields}
    raise TypeError(f"the sandbox's state cannot hold a {type(value).__name__}: {value!r}")


def decode(data: Json) -> Any:
    """What ``encode`` wrote, back; Damaged (or ValueError/TypeError from a class's own checks) otherwise."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1 or set(data) == {"$enum", "value"} or set(data) == {"$dataclass", "fields"}:
        tag = next((k for k in data if k.startswith("$")), None)
        if tag is not None:
            return _tagged(tag, data)
    return {k: decode(v) for k, v in data.items()}


def _tagged(tag: str, data: JsonObject) -> Any:
    value = data[tag]
    if tag == "$money" and isinstance(value, list) and len(value) == 2:
        minor, currency = value
        if isinstance(minor, int) and isinstance(currency, str):
            return Money(minor, currency)
    if tag == "$datetime" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if tag == "$date" and isinstance(value, str):
        return date.fromisoformat(value)
    if tag == "$decimal" and isinstance(value, str):
        return Decimal(value)
    if tag == "$timedelta" and isinstance(value, list) and len(value) == 3:
        days, seconds, micro = value
        if isinstance(days, int) and isinstance(seconds, int) and isinstance(micro, int):
            return timedelta(days, seconds, micro)
    if tag == "$tuple" and isinstance(value, list):
        return tuple(decode(v) for v in value)
    if tag == "$dict" and isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if tag == "$enum":
        cls = _class(value)
        if not issubclass(cls, enum.Enum):
            raise Damaged(f"{value} is not an enum")
        return cls(decode(data["value"]))
    if tag == "$dataclass" and isinstance(data["fields"], dict):
        cls = _class(value)
        if not dataclasses.is_dataclass(cls):
            raise Damaged(f"{value} is not a dataclass")
        return cls(**{k: decode(v) for k, v in data["fields"].items()})
    raise Damaged(f"unreadable value {data!r}")


def record(obj: SimRequest | SimLink) -> JsonObject:
    return {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in REBUILT}


def from_record(cls: type[R], data: Json) -> R:
    """A SimRequest or SimLink from its record, each field checked against its declared type."""
    if not isinstance(data, dict):
        raise Damaged(f"a {cls.__name__} must be an object")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init} - REBUILT
    values = {k: decode(v) for k, v in data.items()}
    for name, value in values.items():
        if name not in known:
            raise Damaged(f"{cls.__name__} has no field {name!r}")
        allowed = _classes(hints[name])
        if allowed is not None and not isinstance(value, allowed):
            raise Damaged(f"{cls.__name__}.{name} cannot be a {type(value).__name__}")
    return cls(**values)


def _classes(hint: object) -> tuple[type, ...] | None:
    """The classes a value of type ``hint`` is an instance of; None when that cannot be told (Any)."""
    parts = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    found: list[type] = []
    for part in parts:
        base = typing.get_origin(part) or part
        if not isinstance(base, type):
            return None
        found.append(base)
    return tuple(found)


__all__ = ["CLASS_ROOTS", "REBUILT", "Damaged", "decode", "encode", "from_record", "record"]
