"""The ingest's quick canonical JSON gives the contract's bytes and verdicts, exactly as ``wire.canonical`` does:
every payload a till writes takes the quick path, and whatever orjson might write otherwise (floats, integers past
64 bits, NaN, lone surrogates) is made again the contract's way."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.backoffice.fastjson import hashed_canonical
from app.domain.jsontypes import JsonObject
from app.replication.wire import canonical

TILL_LIKE: list[JsonObject] = [
    {"sale_id": "a1", "amount": "12.50", "currency": "BRL", "closed_at": None, "paid": True, "n": 3},
    {"reference": "Conceição, mesa 4 — ₹ 🙂", "note": 'quote " backslash \\ tab \t newline \n', "z": {"b": [1, 2]}},
    {"ctl": "\x00\x01\x1f\x7f\u2028\u2029", "émoji": "👩‍👩‍👧", "big": 2**63 - 1, "neg": -(2**63)},
]
EDGE: list[JsonObject] = [
    {"float": 0.1, "exp": 1e16, "tiny": 5e-324},
    {"huge": 2**70},
]


PAYLOADS = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.floats(allow_nan=False),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
        max_leaves=8,
    ),
    max_size=5,
)


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("payload", TILL_LIKE + EDGE)
def test_the_bytes_are_canonicals_and_a_match_is_a_match(payload: JsonObject) -> None:
    body, matches = hashed_canonical(payload, sha(canonical(payload)))
    assert (body, matches) == (canonical(payload), True)
    body, matches = hashed_canonical(payload, "0" * 64)
    assert (body, matches) == (canonical(payload), False)


@given(PAYLOADS)
@settings(max_examples=300, deadline=None)
def test_any_payload_gets_the_contracts_bytes(payload: JsonObject) -> None:
    try:
        expected = canonical(payload)
    except ValueError:  # a lone surrogate: the contract cannot hash it, nor may the quick path
        with pytest.raises(ValueError):
            hashed_canonical(payload, "0" * 64)
        return
    assert hashed_canonical(payload, sha(expected)) == (expected, True)


def test_nan_cannot_be_hashed_either_way() -> None:
    with pytest.raises(ValueError):
        hashed_canonical({"x": float("nan")}, "0" * 64)
