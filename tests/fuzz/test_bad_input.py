"""Bad input, generated (issue 12): the amount parser, the EMV decoder, every provider's replies, config.toml,
tariffs and route CSV files each end in a value or in TillQR's own error in words — never another exception,
never a file changed by reading it, never a route half-imported. The targets are ``tools/fuzz``'s, which runs
them at length (``python -m tools.fuzz all --count N``); here each draws as many examples as the hypothesis
profile says (``HYPOTHESIS_PROFILE=fuzz`` for thousands)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tools.fuzz import Target
from tools.fuzz.targets import TARGETS

pytestmark = pytest.mark.slow

# Crashes the fuzzing found in code other helpers were changing at the same time, reported to the lead: a
# RecursionError is the only failure these two may have until their fixes are merged (then the test passes:
# drop the entry).
PENDING: dict[str, str] = {}  # none left: the provider replies and config crashes are fixed
LENIENT = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def run_target(target: Target, workdir: Path) -> None:
    with target.open(workdir) as check:

        @LENIENT
        @given(target.inputs)
        def one(case: object) -> None:
            check(case)

        one()


def only_recursion(exc: BaseException) -> bool:
    """Every failure hypothesis reported is a RecursionError (it groups distinct ones)."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(lambda e: not isinstance(e, (RecursionError, BaseExceptionGroup))) is None
    return isinstance(exc, RecursionError)


@pytest.mark.parametrize("name", list(TARGETS))
def test_bad_input_ends_in_a_value_or_an_error_in_words(name, tmp_path):
    try:
        run_target(TARGETS[name], tmp_path)
    except BaseException as exc:
        if name in PENDING and only_recursion(exc):
            pytest.xfail(PENDING[name])
        raise
