"""Several service instances on one database: the same records sent to two of them at once are kept once."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from app.backoffice import db
from app.backoffice.ingest import create_app
from app.replication.wire import API, INGEST, BatchReply, Outcome, Stream
from tests.support.service import Service


async def test_two_instances_ingesting_the_same_batches_at_once_keep_each_record_once(
    service: Service, pg_dsn: str
) -> None:
    other_pool = db.make_pool(pg_dsn, max_size=4)
    await other_pool.open(wait=True)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(other_pool)), base_url="http://second.test"
        ) as second:
            records = [service.record() for _ in range(400)]
            # overlapping batches, each sent to both instances twice: 1-250 and 150-400
            batches = [records[:250], records[149:]]
            sends = []
            for client in (service.client, second) * 2:
                for part in batches:
                    body = {"device_id": service.device_id, "sent_at": "2030-01-01T00:00:00+00:00",
                            "records": [r.to_json() for r in part]}  # fmt: skip
                    sends.append(client.post(f"{API}{INGEST}", json=body, headers=service.auth))
            answers = await asyncio.gather(*sends)
    finally:
        await other_pool.close()
    assert [a.status_code for a in answers] == [200] * len(answers)
    replies = [BatchReply.from_json(a.json()) for a in answers]
    accepted = Counter(r.seq for reply in replies for r in reply.results if r.outcome is Outcome.ACCEPTED)
    assert sorted(accepted) == list(range(1, 401)) and set(accepted.values()) == {1}
    others = {r.outcome for reply in replies for r in reply.results if r.outcome is not Outcome.ACCEPTED}
    assert others == {Outcome.DUPLICATE}
    assert await service.rows("SELECT count(*), min(seq), max(seq) FROM records") == [(400, 1, 400)]
    assert await service.rows("SELECT count(*) FROM sales") == [(400,)]
    assert await service.rows("SELECT count(*) FROM conflicts") == [(0,)]
    assert await service.rows("SELECT stream, seq FROM cursors") == [(Stream.JOURNAL.value, 400)]
