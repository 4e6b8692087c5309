"""The back office's wire contract (app.replication.wire): a record's hash is of its canonical bytes, a record
and a batch reply survive the trip through JSON, and what is malformed is said, not guessed."""

from __future__ import annotations

import json

import pytest

from app.replication.wire import (
    ACCEPTED_SCHEMA_VERSIONS,
    SCHEMA_VERSION,
    BatchReply,
    Outcome,
    Record,
    RecordKind,
    RecordResult,
    Stream,
    WireError,
    canonical,
    digest,
)

SALE = {"sale_id": "s1", "amount": "12.50", "currency": "BRL", "status": "settled", "note": "café"}


def test_the_hash_is_of_sorted_compact_utf8_and_does_not_depend_on_key_order():
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert digest(dict(reversed(list(SALE.items())))) == digest(SALE)
    assert digest({**SALE, "amount": "12.51"}) != digest(SALE)


def test_a_record_survives_json_and_checks_its_own_hash():
    r = Record.make("dev-1", Stream.JOURNAL, 7, RecordKind.SALE, SALE)
    back = Record.from_json(json.loads(json.dumps(r.to_json())))
    assert back == r and back.problem() == "" and r.schema_version == SCHEMA_VERSION
    tampered = Record.from_json({**r.to_json(), "payload": {**SALE, "amount": "99.00"}})
    assert tampered.problem() == "sha256 does not match the payload"


def test_an_unknown_kind_or_an_old_schema_is_refused_per_record_not_per_batch():
    r = Record.make("dev-1", Stream.FIELDBOOK, 1, RecordKind.READING, {"bill": "b1", "reading": "4821"}).to_json()
    unknown = Record.from_json({**r, "kind": "gossip"})
    assert unknown.kind == "gossip" and unknown.problem() == "unknown kind 'gossip'"
    old = Record.from_json({**r, "schema_version": min(ACCEPTED_SCHEMA_VERSIONS) - 1})
    assert "is not accepted" in old.problem()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"seq": 0}, "seq must be a whole number from 1"),
        ({"seq": True}, "seq must be a whole number from 1"),
        ({"stream": "cashbox"}, "stream must be one of"),
        ({"sha256": "ABC"}, "sha256 must be 64 lowercase hex digits"),
        ({"payload": [1]}, "payload must be a JSON object"),
        ({"device_id": ""}, "device_id must be a non-empty string"),
    ],
)
def test_a_malformed_record_is_said(change, said):
    r = Record.make("dev-1", Stream.JOURNAL, 1, RecordKind.SALE, SALE).to_json()
    with pytest.raises(WireError, match=said):
        Record.from_json({**r, **change})
    with pytest.raises(WireError, match="lacks 'seq'"):
        Record.from_json({k: v for k, v in r.items() if k != "seq"})


def test_a_batch_reply_survives_json_and_a_bad_one_is_said():
    reply = BatchReply(
        [
            RecordResult(Stream.JOURNAL, 1, Outcome.ACCEPTED),
            RecordResult(Stream.JOURNAL, 2, Outcome.CONFLICT, "differs"),
        ],
        {Stream.JOURNAL: 2},
        -1.25,
        "2026-12-03T15:00:00.000+00:00",
    )
    assert BatchReply.from_json(json.loads(json.dumps(reply.to_json()))) == reply
    with pytest.raises(WireError, match="not a batch reply"):
        BatchReply.from_json({"results": [{"stream": "journal", "seq": 1, "outcome": "maybe"}], "cursors": {}})
