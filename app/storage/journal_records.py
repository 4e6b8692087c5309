"""What the journal sends to the back office (``app.storage.replica``): each change's record payload.

Money as decimal strings in major units ("12.50") with the currency beside them, times in ISO 8601 with their
offset, ids as the journal keeps them. The back office reads these; a change of shape is a new
``app.replication.wire.SCHEMA_VERSION``.
"""

from __future__ import annotations

import sqlite3

from app.domain.jsontypes import Json, JsonObject
from app.domain.money import Money
from app.domain.sale import Sale
from app.replication.wire import RecordKind

from .replica import append, plain


def _at(value: object) -> str | None:
    iso = getattr(value, "isoformat", None)
    return iso() if iso is not None else None


def sale_payload(sale: Sale) -> JsonObject:
    """The sale as it stands after a change (the back office keeps the latest by seq)."""
    return {
        "sale_id": sale.sale_id,
        "status": sale.status.value,
        "amount": str(sale.amount),
        "currency": sale.amount.currency,
        "amount_received": str(sale.received),
        "amount_refunded": str(sale.refunded),
        "amount_due": str(sale.amount_due) if sale.amount_due else None,
        "reference": sale.reference,
        "provider": sale.provider,
        "request_id": sale.request_id,
        "link_id": sale.link_id,
        "expires_at": _at(sale.expires_at),
        "created_at": _at(sale.created_at),
        "updated_at": _at(sale.updated_at),
        "closed_at": _at(sale.closed_at),
        "unlinked": sale.unlinked,
        "reason": sale.reason,
        "cashier_id": sale.cashier_id,
        "cashier": sale.cashier,
    }


def sale_records(conn: sqlite3.Connection, sale: Sale, event_id: int, at: str, kind: str, detail: Json) -> None:
    """A sale written and one of its events appended: their two records, inside the caller's transaction."""
    append(conn, RecordKind.SALE, sale_payload(sale))
    event: JsonObject = {
        "sale_id": sale.sale_id,
        "event_id": event_id,
        "at": at,
        "kind": kind,
        "status": sale.status.value,
        "detail": detail,
    }
    append(conn, RecordKind.SALE_EVENT, event)


def refund_record(conn: sqlite3.Connection, sale: Sale, refund: dict[str, object]) -> None:
    """A refund asked for, changed or closed: its record, inside the caller's transaction. ``refund``: the
    refund's row as the journal keeps it (``amount_minor`` in the sale's currency's minor units)."""
    fields = plain(refund)
    minor = fields.pop("amount_minor", None)
    if isinstance(minor, int):
        fields["amount"] = str(Money(minor, sale.amount.currency))
    fields.update(sale_id=sale.sale_id, currency=sale.amount.currency)
    append(conn, RecordKind.REFUND, fields)
