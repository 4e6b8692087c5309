import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.money import Money
from app.domain.sale import OPEN_STATUSES, TRANSITIONS, IllegalTransition, Sale, can_transition
from app.domain.sale import SaleStatus as S

LEGAL = {
    (S.PENDING, S.LINKED),
    (S.PENDING, S.PROCESSING),
    (S.PENDING, S.SETTLED),
    (S.PENDING, S.EXPIRED),
    (S.PENDING, S.CANCELLED),
    (S.PENDING, S.FAILED),
    (S.LINKED, S.PROCESSING),
    (S.LINKED, S.SETTLED),
    (S.LINKED, S.EXPIRED),
    (S.LINKED, S.CANCELLED),
    (S.LINKED, S.FAILED),
    (S.PROCESSING, S.LINKED),
    (S.PROCESSING, S.SETTLED),
    (S.PROCESSING, S.EXPIRED),
    (S.PROCESSING, S.CANCELLED),
    (S.PROCESSING, S.FAILED),
    (S.SETTLED, S.PARTIALLY_REFUNDED),
    (S.SETTLED, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED),
    (S.EXPIRED, S.SETTLED),
    (S.CANCELLED, S.SETTLED),
    (S.FAILED, S.SETTLED),
    (S.SETTLED, S.RETURNED),
    (S.PENDING, S.RETURNED),
    (S.LINKED, S.RETURNED),
    (S.PROCESSING, S.RETURNED),
}


def sale(status=S.PENDING) -> Sale:
    return Sale.new(Money.parse("12.50", "BRL"), "jpmorgan").with_(status=status)


@pytest.mark.parametrize("old,new", list(itertools.product(S, S)))
def test_every_transition(old, new):
    """Every pair: the legal ones move, every other one is refused (a no-op 'move' to itself is allowed)."""
    s = sale(old)
    if (old, new) in LEGAL:
        assert s.move(new).status == new
        assert can_transition(old, new)
    elif old == new:
        assert s.move(new).status == new
    else:
        assert not can_transition(old, new)
        with pytest.raises(IllegalTransition) as exc:
            s.move(new)
        assert old.value in str(exc.value) and new.value in str(exc.value)


def test_table_matches_the_documented_set():
    assert {(a, b) for a, bs in TRANSITIONS.items() for b in bs} == LEGAL


def test_terminal_statuses_are_terminal_except_late_payment():
    assert TRANSITIONS[S.REFUNDED] == frozenset() == TRANSITIONS[S.RETURNED]
    for st_ in (S.EXPIRED, S.CANCELLED, S.FAILED):
        assert TRANSITIONS[st_] == frozenset({S.SETTLED})


@given(st.lists(st.sampled_from(list(S)), max_size=12))
def test_random_walks_never_leave_the_machine(steps):
    s = sale()
    for target in steps:
        before = s.status
        try:
            s = s.move(target)
        except IllegalTransition:
            assert not can_transition(before, target) and before != target
            continue
        assert before == target or can_transition(before, target)
    assert s.status in S


def test_open_statuses_and_labels():
    assert OPEN_STATUSES == {S.PENDING, S.LINKED, S.PROCESSING}
    assert S.SETTLED.label == "PAID" and all(st_.label for st_ in S)


def test_idempotency_keys_are_stable_and_distinct():
    s = sale()
    keys = {s.idempotency_key(a) for a in ("create", "link", "unlink", "cancel")}
    assert len(keys) == 4 and s.idempotency_key("create") == s.sale_id
    assert s.idempotency_key("link") == s.idempotency_key("link")
