"""The field book's routes, as transactions ``app.storage.fieldbook.Fieldbook`` runs: a route's import (every
id a bill will get at the provider chosen and stored before any call) and the closing of routes (customers'
names and addresses removed). Each function takes the open connection of the book's one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from app.domain.bills import Bill
from app.i18n import _, ngettext

from .fieldbook_rows import BILL_SELECT, FieldbookError, new_key, now_iso, stored_bill


def add_route(conn: sqlite3.Connection, source: str, bills: Sequence[tuple[Bill, str]]) -> tuple[str, int]:
    """``Fieldbook.add_route``'s transaction: ``bills`` (each with its currency) as one route, all or nothing."""
    found = conn.execute("SELECT route_id FROM routes WHERE source=? AND closed_at IS NULL", (source,))
    row = found.fetchone()
    route_id = row[0] if row else new_key()
    if not row:
        conn.execute("INSERT INTO routes (route_id, source, imported_at) VALUES (?,?,?)", (route_id, source, now_iso()))
    added = 0
    for position, (bill, currency) in enumerate(bills):
        old = conn.execute(BILL_SELECT + " WHERE b.bill_id=?", (bill.bill_id,)).fetchone()
        if old is not None:
            kept = stored_bill(old).bill
            if kept.payment_link_id is not None and bill.payment_link_id is None:
                kept = Bill(**{**kept.__dict__, "payment_link_id": None})
            if kept != bill:
                raise FieldbookError(
                    _("bill {bill} is already in the field book with other details; a bill id is imported once").format(
                        bill=bill.bill_id
                    )
                )
            continue
        conn.execute(
            """INSERT INTO bills (bill_id, route_id, position, customer, address, meter_id,
                   previous_reading, tariff, currency, due_date, link_key, payment_link_id,
                   request_id, request_key, link_call_key, updated_at)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (
                bill.bill_id,
                route_id,
                position,
                bill.customer,
                bill.address,
                bill.meter_id,
                str(bill.previous_reading),
                bill.tariff,
                currency,
                bill.due_date.isoformat() if bill.due_date else None,
                new_key(),
                bill.payment_link_id,
                new_key(),
                new_key(),
                new_key(),
                now_iso(),
            ),
        )
        added += 1
    return route_id, added


def close_routes(conn: sqlite3.Connection, route_id: str | None) -> int:
    """``Fieldbook.close_route``'s transaction: the open routes (or ``route_id``) closed, their customers' names
    and addresses removed; the number of bills closed. Refused while a bill has a reading to sync or a conflict."""
    routes = [
        r[0]
        for r in conn.execute("SELECT route_id FROM routes WHERE closed_at IS NULL")
        if route_id is None or r[0] == route_id
    ]
    marks = ",".join("?" * len(routes))
    busy = conn.execute(
        f"SELECT count(*) FROM bills WHERE route_id IN ({marks}) AND sync_state IN ('pending', 'conflict')",
        routes,
    ).fetchone()[0]
    if busy:
        raise FieldbookError(
            ngettext(
                "{n} bill still has a reading to sync or a conflict to resolve: sync it first",
                "{n} bills still have a reading to sync or a conflict to resolve: sync them first",
                busy,
            ).format(n=busy)
        )
    conn.execute(f"UPDATE routes SET closed_at=? WHERE route_id IN ({marks})", (now_iso(), *routes))
    return int(
        conn.execute(f"UPDATE bills SET customer=NULL, address=NULL WHERE route_id IN ({marks})", routes).rowcount
    )
