"""Strategies shared by the targets: TOML text (config and tariffs), JSON values, text edits of a good seed,
deep nesting and bytes that are not UTF-8."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from hypothesis import strategies as st

# -- values ------------------------------------------------------------------------------------------
NUMBER_TEXT = st.sampled_from(
    ["0", "-1", "1e999999", "1e-999999", "nan", "inf", "-inf", "0.0000001", "99999999999999999999999", "1_000", "0x1F"]
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | NUMBER_TEXT
    | st.datetimes().map(lambda d: d.isoformat())
    | st.dates().map(lambda d: d.isoformat())
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, seed: object, keys: tuple[str, ...] = ()) -> object:
    """``seed`` (a JSON-like value) with some of its parts deleted, replaced by any value, or kept; new keys
    (``keys``, or any text) added to objects."""
    if isinstance(seed, dict):
        out: dict[str, object] = {}
        for key, value in seed.items():
            roll = draw(st.integers(0, 11))
            if roll == 0:
                continue  # deleted
            out[key] = draw(JSON_VALUES) if roll == 1 else draw(mutated(value, keys))
        if draw(st.integers(0, 7)) == 0:
            out[draw(st.sampled_from(keys) if keys else st.text(max_size=12))] = draw(JSON_VALUES)
        return out
    if isinstance(seed, list):
        items = [draw(mutated(v, keys)) for v in seed if draw(st.integers(0, 9))]
        if draw(st.integers(0, 7)) == 0:
            items.append(draw(JSON_VALUES))
        return items
    roll = draw(st.integers(0, 9))
    return draw(JSON_VALUES) if roll == 0 else draw(NUMBER_TEXT) if roll == 1 and isinstance(seed, str) else seed


@st.composite
def edited(draw: st.DrawFn, seed: str, max_edits: int = 4) -> str:
    """``seed`` with a few characters deleted, inserted or replaced: text that is almost right."""
    text = seed
    for _ in range(draw(st.integers(1, max_edits))):
        at = draw(st.integers(0, len(text)))
        end = min(len(text), at + draw(st.integers(0, 8)))
        text = (
            text[:at]
            + draw(st.text(max_size=6) | st.sampled_from(["\n", '"', "[", "=", ",", ";", "\r\n"]))
            + text[end:]
        )
    return text


def nested(opening: str, closing: str, inner: str = "") -> st.SearchStrategy[str]:
    """``opening`` × n, ``inner``, ``closing`` × n: from a few levels to far past any recursion limit."""
    return st.integers(1, 60_000).map(lambda n: opening * n + inner + closing * n)


NOT_UTF8 = st.binary(min_size=1, max_size=60).filter(lambda b: not _utf8(b))


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- TOML ---------------------------------------------------------------------------------------------
def toml_value(value: object) -> str:
    """TOML text of a value (strings as JSON strings, which TOML reads as basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return (
            "nan" if value != value else ("inf" if value > 0 else "-inf") if abs(value) == float("inf") else repr(value)
        )
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key) else toml_value(key)


TOML_SCALARS = (
    st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "BRL", "jpmorgan", "https://localhost@evil.example", "scrypt$1$2$3", "\x00", "é"])
    | st.dates()
    | st.datetimes()
)
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


def toml_document(sections: dict[str, tuple[str, ...]]) -> st.SearchStrategy[str]:
    """TOML text with tables named from ``sections`` (and others), keys of theirs (and others), any values."""
    table_names = st.sampled_from(sorted(sections)) | st.text(min_size=1, max_size=10)

    @st.composite
    def document(draw: st.DrawFn) -> str:
        lines = []
        for _ in range(draw(st.integers(0, 4))):
            name = draw(table_names)
            lines.append(f"[{'.'.join(toml_key(part) for part in name.split('.'))}]")
            known = sections.get(name, ())
            keys = st.sampled_from(known) | st.text(max_size=10) if known else st.text(max_size=10)
            for _ in range(draw(st.integers(0, 6))):
                lines.append(f"{toml_key(draw(keys))} = {toml_value(draw(TOML_VALUES))}")
        return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))

    return document()


def toml_inputs(sections: dict[str, tuple[str, ...]], seed: str) -> st.SearchStrategy[bytes]:
    """Bytes for a TOML file: generated documents, edits of a good one, any text, deep nesting, not UTF-8."""
    texts = (
        toml_document(sections)
        | edited(seed)
        | st.text(max_size=200)
        | nested("[", "]").map(lambda t: "a = " + t)
        | nested("{b=", "}", "1").map(lambda t: seed + "\nnested = " + t)
        | nested("[", "]").map(lambda t: seed + "\n" + t)
    )
    return texts.map(lambda t: t.encode("utf-8")) | NOT_UTF8 | NOT_UTF8.map(lambda b: seed.encode() + b)
