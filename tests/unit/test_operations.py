"""The operation runner (app/screens/operations.py): busy on and off, result, errors in words, held tasks."""

from __future__ import annotations

import asyncio
import errno
import logging

import pytest

from app.checkout.controller import SaleInProgress
from app.checkout.refunds import RefundError
from app.config.pin import PinError
from app.providers.base import ProviderUnavailable
from app.screens.operations import Busy, Level, Operations, Outcome, Words, explain

WORDS = Words("Refund not made", refused="Refund refused", stop=".")


class Screen:
    """A screen as the runner sees it; records what it showed at each change."""

    def __init__(self) -> None:
        self.message = ""
        self.message_level: str = Level.INFO
        self.seen: list[tuple[Busy | None, str]] = []
        self.ops = Operations(self, lambda running, wanted: f"busy with {running}, not {wanted}")

    def changed(self) -> None:
        self.seen.append((self.ops.busy, self.message))


async def test_success_hands_back_the_typed_result_and_busy_goes_on_then_off():
    screen, gate = Screen(), asyncio.Event()

    async def work() -> int:
        await gate.wait()
        return 42

    task = screen.ops.start(Busy.REFUND, work(), WORDS, doing="Checking the PIN…")
    assert screen.ops.busy is Busy.REFUND and screen.message == "Checking the PIN…"
    assert screen.seen[-1] == (Busy.REFUND, "Checking the PIN…"), "the view was told at once"
    assert task in screen.ops.tasks, "held until it ends"
    gate.set()
    outcome = await task
    assert outcome == Outcome(value=42) and outcome.ok
    assert screen.ops.busy is None and screen.seen[-1][0] is None
    assert task not in screen.ops.tasks


@pytest.mark.parametrize(
    "exc, words",
    [
        (SaleInProgress("a sale is being started; wait for its QR"), "A sale is being started; wait for its QR"),
        (RefundError("the provider refused it"), "Refund not made: the provider refused it."),
        (PinError("wrong PIN (2 tries left)"), "Refund refused: wrong PIN (2 tries left)."),
        (
            ProviderUnavailable("timeout"),  # the technical account goes to the log; the words say what to do
            "Refund not made: The payment provider does not answer. Check the internet connection, then try again.",
        ),
        (OSError(errno.EACCES, "Permission denied", "/x.csv"), "Refund not made: Permission denied."),
    ],
)
async def test_expected_errors_are_said_in_their_own_words_without_a_traceback(exc, words, caplog):
    screen = Screen()

    async def fails() -> int:
        raise exc

    with caplog.at_level(logging.ERROR, logger="tillqr.screens"):
        outcome = await screen.ops.run(Busy.REFUND, fails(), WORDS)
    assert outcome == Outcome(error=words) and not outcome.ok
    assert screen.message == words and screen.message_level == Level.ERROR
    assert screen.ops.busy is None and not caplog.records


async def test_an_unexpected_error_is_logged_and_said_generically(caplog):
    screen = Screen()

    async def bug() -> int:
        raise KeyError("sale_id")

    with caplog.at_level(logging.ERROR, logger="tillqr.screens"):
        outcome = await screen.ops.run(Busy.EXPORT, bug(), Words("The CSV could not be written"), level=Level.WARNING)
    assert outcome.error == (
        "The CSV could not be written: something went wrong inside TillQR (the details are in its log)"
    )
    assert screen.message_level == Level.WARNING and screen.ops.busy is None
    assert [r.exc_info[0] for r in caplog.records] == [KeyError], "the traceback goes to the log"


async def test_an_operation_expects_its_own_extra_errors():
    assert explain(ValueError("set provider.base_url first"), Words("No sticker", expected=(ValueError,))) == (
        "No sticker: set provider.base_url first"
    )
    assert explain(ValueError("x"), Words("No sticker")) is None


async def test_a_second_press_while_busy_is_refused_at_once_not_queued():
    screen, gate = Screen(), asyncio.Event()
    started: list[str] = []

    async def work(name: str) -> str:
        started.append(name)
        await gate.wait()
        return name

    first = screen.ops.start(Busy.CHARGE, work("first"), WORDS)
    second = work("second")
    outcome = await screen.ops.run(Busy.CANCEL, second, WORDS)
    assert outcome == Outcome(refused=True) and not outcome.ok
    assert screen.message == "busy with charge, not cancel"
    assert second.cr_frame is None, "the refused coroutine is closed, never run later"
    refused_task = screen.ops.start(Busy.CHARGE, work("third"), WORDS)
    assert (await refused_task).refused
    gate.set()
    assert (await first).value == "first"
    assert started == ["first"]
    assert screen.message == "", "the words about waiting go when what it waited for ends"


async def test_close_cancels_what_still_runs():
    screen = Screen()
    task = screen.ops.start(Busy.LOAD, asyncio.Event().wait(), WORDS)
    await asyncio.sleep(0)
    screen.ops.close()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert screen.ops.busy is None and not screen.ops.tasks
