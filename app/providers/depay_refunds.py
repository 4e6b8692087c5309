"""Depay refunds behind ``PaymentProvider.refund`` / ``get_refund`` (the client, ``depay.py``, hands them here).

- ``refund`` / ``get_refund``: ``POST /v2/qr/refund`` with ``partial`` (false when the
  amount is the whole order), ``reason`` ``"TillQR refund <key>"``. Depay documents no
  refund look-up (its answer's ``id`` cannot be asked about), so a refund's outcome is
  read from the order's history, where each refund's steps follow the payment's
  (``refund_trail``: the order's refunds in turn, each with the furthest step it reached).
  TillQR's refund id says which one it is: ``<order id>#<n>:<amount>``, ``n`` the number
  of refunds the history showed (or this client had asked) before it — so any process,
  after any restart, reads this refund's own outcome, never the order's ``status`` nor
  another refund's. An id it cannot read, or a refund the history does not show yet, is
  ``pending``. An order's refunds are told apart by their turn only, so one should be
  asked when the one before it has ended (TillQR's refunds do).
- refund statuses, read with the seed's refund table, where only REFUNDED is final:
  PENDING is ``pending``; PARTIALLY_REFUNDED ("the funds have been deducted from the
  merchant, but the refund to the customer is not yet complete", *Is Final: No*) is
  ``pending`` too, for a partial refund as for a full one — the seed's "Partial Refund"
  callback example shows that word, but nowhere says the partial refund is then
  complete, so TillQR never calls it done before Depay says REFUNDED; REFUNDED is
  ``refunded`` (``partially_refunded``, TillQR's "this partial refund is done", when
  it gave back less than the order); REJECTED ("the refund encountered an error", *Is
  Final: No*) is ``pending`` as well, with REJECTED as its provider status: Depay may
  still complete it, so TillQR asks no other refund of that order until a person has
  checked — a refund is never made twice.
  The order's own ``status`` keeps the order table's words (PARTIALLY_REFUNDED: "the
  order was partially refunded"), read by ``get_request`` only. Should Depay's history
  never show REFUNDED for a partial refund, it stays ``pending``, for a person to check.
- a refund is never sent twice: one whose answer was lost is, when asked again with the
  same key, found at its turn in the order's history if it has shown up there, else
  refused with ``ProviderUnavailable`` (no new POST) — within this process; after a
  restart only a full refund is safe to ask again (Depay's 409 "The order is totally
  refunded." is then followed in the history like any refund, not taken as done), a
  partial one must be checked on the order by a person.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.domain.jsontypes import JsonObject
from app.domain.money import Money, MoneyError
from app.i18n import _

from .base import (
    ProviderConflict,
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
    RefundInfo,
    RequestInfo,
)
from .depay_parse import REFUND_ANSWER, REFUND_STATUS, _obj, _protocol, _text, encode, parse_order, refund_trail
from .http import ProviderHttp

NAME = "depay"
log = logging.getLogger("tillqr.providers.depay")


@dataclass
class _Refund:
    order_id: str
    amount: Money
    turn: int  # how many refunds of the order came before it (its place in ``refund_trail``)


REFUND_ID = re.compile(r"(?P<order>[^#]+)#(?P<turn>\d{1,6}):(?P<amount>\d{1,15}(?:\.\d{1,4})?)")


def make_refund_id(order_id: str, turn: int, amount: Money) -> str:
    """``<order id>#<n>:<amount>``: which refund of which order, readable by any later process."""
    return f"{order_id}#{turn}:{amount}"


def refund_info(order: RequestInfo, turn: int, amount: Money, word: str) -> RefundInfo:
    """The refund at ``turn`` of ``order``, whose furthest step is Depay's ``word``."""
    status = REFUND_STATUS[word]
    if status == "refunded" and amount.minor < order.amount.minor:
        status = "partially_refunded"  # TillQR's word for a partial refund that is done
    return RefundInfo(
        refund_id=make_refund_id(order.request_id, turn, amount),
        request_id=order.request_id,
        amount=amount,
        status=status,
        provider_status=word,
    )


class DepayRefunds:
    """The refunds one Depay client asks: the turn of each order's next refund, and those whose answer was lost."""

    def __init__(
        self,
        http: ProviderHttp,
        read_order: Callable[[str], Awaitable[JsonObject]],
        notification_url: str | None,
        *,
        headers: Mapping[str, str] | None = None,
    ):
        self.http = http
        self.headers = dict(headers or {})  # sent with every refund call (the seed's ``Authentication``)
        self._read_order = read_order  # the order's body (GET), by TillQR's request id
        self.notification_url = notification_url
        self._turns: dict[str, int] = {}  # order id -> the turn of the next refund this client asks
        self._unanswered: dict[str, _Refund] = {}  # idempotency key -> a refund whose answer was lost

    async def refund(self, request_id: str, amount: Money, idempotency_key: str) -> RefundInfo:
        try:
            body = await self._read_order(request_id)
        except ProviderError as exc:
            exc.nothing_sent = True  # type: ignore[attr-defined]  # no refund was asked: safe to ask again
            raise
        order = parse_order(body)
        if amount.currency != order.amount.currency:
            raise ProviderRejected(
                _("the order is in {currency}, not {asked}").format(
                    currency=order.amount.currency, asked=amount.currency
                ),
                provider=NAME,
            )
        partial = amount != order.amount
        trail = refund_trail(body)
        lost = self._unanswered.get(idempotency_key)
        if lost is not None:  # asked before, answer lost: Depay has no look-up and no key, so never send it twice
            if len(trail) <= lost.turn:
                raise ProviderUnavailable(
                    _(
                        "the answer to refund {refund} was lost and the order shows no refund since: it is not sent "
                        "again (check the order)"
                    ).format(refund=idempotency_key),
                    provider=NAME,
                )
            del self._unanswered[idempotency_key]
            return refund_info(order, lost.turn, lost.amount, trail[lost.turn])
        turn = max(len(trail), self._turns.get(order.request_id, 0))
        request: JsonObject = {
            "order_id": order.request_id,
            "partial": partial,
            "amount": Decimal(str(amount)),
            "reason": f"TillQR refund {idempotency_key}",
        }
        if self.notification_url:
            request["notification_url"] = self.notification_url
        try:
            data = await self.http.post(
                "/v2/qr/refund", encode(request), parse=lambda d: _obj(d, REFUND_ANSWER), headers=self.headers
            )
        except ProviderConflict as exc:
            if partial or "totally refunded" not in exc.message:
                raise
            # The whole order was asked back before (an answer lost by an earlier run): that refund is the one
            # that has not been rejected; follow it in the history like any other, never take it as done.
            mine = next((i for i, word in enumerate(trail) if word != "REJECTED"), len(trail))
            return refund_info(order, mine, amount, trail[mine] if mine < len(trail) else "PENDING")
        except (ProviderUnavailable, ProviderProtocolError) as exc:
            self._unanswered[idempotency_key] = _Refund(order.request_id, amount, turn)
            self._turns[order.request_id] = turn + 1  # whether or not it was made, no other refund takes its turn
            exc.refund_id = make_refund_id(order.request_id, turn, amount)
            raise  # ... and any later process can read its outcome at that turn (get_refund)
        self._turns[order.request_id] = turn + 1
        depay_id, word = _text(data, "id", REFUND_ANSWER), _text(data, "status", REFUND_ANSWER)
        if word not in REFUND_STATUS:
            raise _protocol(_("refund {id} has an unknown status {word!r}").format(id=depay_id, word=word))
        info = refund_info(order, turn, amount, word)
        log.info("depay refund %s (Depay's id %s): %s", info.refund_id, depay_id, word)
        return info

    async def get_refund(self, request_id: str, refund_id: str) -> RefundInfo:
        """This refund's outcome, read at its turn in the order's history (see the module doc)."""
        body = await self._read_order(request_id)
        order = parse_order(body)
        found = REFUND_ID.fullmatch(refund_id) if isinstance(refund_id, str) else None
        amount = None
        if found and found["order"] == order.request_id:
            try:
                amount = Money.from_decimal(Decimal(found["amount"]), order.amount.currency)
            except MoneyError:
                amount = None
        if found is None or amount is None:
            log.warning(
                "depay: refund id %r does not name a refund of order %s; it is left pending",
                refund_id,
                order.request_id,
            )
            return RefundInfo(
                refund_id=refund_id,
                request_id=order.request_id,
                amount=Money(0, order.amount.currency),
                status="pending",
                provider_status="UNKNOWN",
            )
        turn, trail = int(found["turn"]), refund_trail(body)
        return refund_info(order, turn, amount, trail[turn] if turn < len(trail) else "PENDING")
