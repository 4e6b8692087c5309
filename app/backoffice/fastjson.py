"""JSON at the ingest's speed: orjson where it gives the very bytes the contract asks for, the standard library
where it might not.

- ``loads``: a body parsed by orjson, or by ``json`` with the contract's rules (no NaN or Infinity) when orjson
  refuses it (a lone surrogate) or might read it otherwise: orjson reads an integer past 64 bits as a float, so a
  body with a run of 19 digits or more anywhere goes to ``json``. A body is taken or refused exactly as before,
  only sooner.
- ``hashed_canonical``: a payload's canonical bytes (``app.replication.wire.canonical``) when they hash to the
  record's ``sha256``. orjson's sorted, compact UTF-8 output is those bytes for every payload a till writes;
  where it could differ (a float, NaN) the hash does not match and ``canonical`` makes them again, so the answer
  is always ``canonical``'s.
"""

from __future__ import annotations

import hashlib
import json
import re

import orjson

from app.domain.jsontypes import JsonObject
from app.replication.wire import canonical

_LONG_DIGITS = re.compile(rb"[0-9]{19}")  # maybe an integer orjson would read as a float


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def loads(body: bytes) -> object:
    """The body's JSON (ValueError or RecursionError when it is not JSON under the contract's rules)."""
    if not _LONG_DIGITS.search(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # the standard library's verdict, in its words
    return json.loads(body, parse_constant=_no_constant)


def hashed_canonical(payload: JsonObject, sha256: str) -> tuple[bytes, bool]:
    """``payload``'s canonical bytes and whether they hash to ``sha256`` (ValueError when they cannot be made)."""
    try:
        fast = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer past 64 bits: the standard library's turn
        fast = b""
    if fast and hashlib.sha256(fast).hexdigest() == sha256:
        return fast, True  # the same hash: the same bytes as canonical's
    body = canonical(payload)
    return body, hashlib.sha256(body).hexdigest() == sha256
