"""Canonical JSON at the ingest's speed: orjson where it gives the very bytes the contract asks for, the
standard library where it might not (parsing stays ``json``'s: orjson reads an integer past 64 bits as a float,
and guarding against that cost more than it saved).

- ``hashed_canonical``: a payload's canonical bytes (``app.replication.wire.canonical``) when they hash to the
  record's ``sha256``. orjson's sorted, compact UTF-8 output is those bytes for every payload a till writes;
  where it could differ (a float, NaN) the hash does not match and ``canonical`` makes them again, so the answer
  is always ``canonical``'s.
"""

from __future__ import annotations

import hashlib

import orjson

from app.domain.jsontypes import JsonObject
from app.replication.wire import canonical


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
