"""The till asks its provider at start-up and says at once when it does not answer; it compares its clock with
the provider's answers (their HTTP Date) and says a skew over a minute to the manager."""

from __future__ import annotations

import pytest

from app.__main__ import main
from app.commands import checkout_cli
from app.providers.clock import clock_skew_of, skew_words
from app.sandbox.faults import FaultConfig
from app.screens.counter_model import CounterModel
from app.screens.counter_standing import watch_provider
from app.screens.counter_words import NO_ANSWER
from tests.support.till import bare_till, demo_till


async def test_a_provider_that_does_not_answer_at_start_is_said_at_once_and_asked_again(tmp_path):
    async with bare_till(tmp_path, timeout=0.3) as till:
        m = CounterModel(till.controller)
        await till.sandbox.faults(error_rate=1.0)
        seen: list[str] = []

        async def wait(seconds: float) -> None:  # the time between two asks: the provider comes back meanwhile
            seen.append(m.standing)
            if len(seen) == 2:
                await till.sandbox.faults()

        await watch_provider(m.standings, till.provider.ping, sleep=wait)
        assert seen == [str(NO_ANSWER), str(NO_ANSWER)]  # said before any sale, while it kept asking
        assert m.standing == ""  # and gone once it answers


async def test_a_provider_that_refuses_the_keys_at_start_is_said_in_words(tmp_path):
    async with bare_till(tmp_path, timeout=0.3) as till:
        m = CounterModel(till.controller)
        await till.sandbox.faults(auth_rate=1.0)
        await watch_provider(m.standings, till.provider.ping)
        assert "access keys" in m.standing and "Error" not in m.standing


@pytest.mark.parametrize(("skew", "said"), [(600, "10 minutes behind"), (-7200, "2.0 hours ahead of"), (30, None)])
async def test_the_clock_is_compared_with_the_providers_answers(tmp_path, skew, said):
    async with bare_till(tmp_path) as till:
        assert clock_skew_of(till.provider) is None  # no answer with a Date yet
        await till.sandbox.faults(clock_skew_s=skew)
        await till.provider.ping()
        measured = clock_skew_of(till.provider)
        assert measured is not None and abs(measured - skew) <= 2  # Date has whole seconds
        words = skew_words(measured)
        assert (said is None and words is None) or (words is not None and said in words)


def test_the_sandbox_refuses_a_nonsense_skew():
    with pytest.raises(ValueError, match="clock_skew_s"):
        FaultConfig.from_json({"clock_skew_s": "soon"})


async def test_recover_warns_of_a_skewed_clock(tmp_path, capsys):
    async with demo_till(tmp_path) as rt:
        await rt.sandbox.faults(clock_skew_s=-900)  # the provider's clock 15 minutes behind this machine's
        await checkout_cli._check_clock(rt)  # what `tillqr recover` runs after reconciling
    err = capsys.readouterr().err
    assert "warning: This computer's clock is 15 minutes ahead of the payment provider's" in err


def test_recover_on_a_demo_till_without_skew_says_nothing_about_the_clock(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    assert main(["recover"]) == 0
    assert "clock" not in capsys.readouterr().err
