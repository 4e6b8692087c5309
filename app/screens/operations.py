"""The one async operation runner every screen's model uses (Anki's ``CollectionOp``, without Qt).

A model owns one ``Operations`` and runs each of its commands through it::

    outcome = await self.ops.run(Busy.CHARGE, self.controller.charge(...), CHARGE_WORDS)
    if outcome.ok:
        ...  # outcome.value is the coroutine's result, typed

``run`` (or ``start``, which hands back the task) does, in this one place for every screen:

- refuses at once, in words, when the screen is already busy (never queues the second press: a
  second Charge during a slow create reads "A sale is being started; wait for its QR." at once);
- starts the coroutine as a *held* task (kept in ``tasks`` until it ends; ``close`` cancels the
  ones still running), so no result or error is ever lost with a fire-and-forget task;
- marks the screen busy (``busy``: what is running, a ``Busy``) and says what it is doing, so the
  view disables the buttons that must not be pressed twice and shows the work in progress;
- turns an expected error into the words the user reads (``explain``: the table ``EXPECTED``,
  each kind of error in its own words), logs an unexpected one with its traceback and says
  "<what failed>: <error>";
- hands back an ``Outcome[T]``: ``ok``, the typed ``value``, or the ``error`` words.

The screen (a model) is anything with ``message``, ``message_level`` and ``changed()``
(``Screen``); the runner writes the words there and calls ``changed()`` so the view redraws.

Core events reach the models by one route too: the controller publishes typed events
(``app.checkout.events``); one Qt adapter (``app.ui.bridge.EventBridge``) re-emits each on the GUI
thread as one signal, and each model takes them in ``on_event``; the views redraw from the models.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from app.checkout.controller import CheckoutError
from app.checkout.refunds import RefundError
from app.config.pin import PinError
from app.config.secrets import SecretsUnavailable
from app.config.settings import SettingsError
from app.domain.money import MoneyError
from app.i18n import LazyText, _
from app.providers.base import ProviderError

from .amount_entry import sentence

log = logging.getLogger("tillqr.screens")

T = TypeVar("T")


class Busy(StrEnum):
    """What a screen is waiting for (the view words it: "Charging…", "Refunding…")."""

    CHARGE = "charge"
    CANCEL = "cancel"
    MORE_TIME = "more_time"  # the counter's "More time": cancel and charge again
    PAY = "pay"  # the demo's simulated customer payment
    RECOVER = "recover"
    LOAD = "load"
    REFUND = "refund"
    EXPORT = "export"
    TEST = "test"  # Settings: test the connection
    LINK = "link"  # Settings: create the payment link
    STICKER = "sticker"
    PRINT = "print"  # a receipt or the end-of-shift report (app.receipts)
    CLOSE_SHIFT = "close_shift"
    CASHIERS = "cashiers"  # Settings: a cashier added, renamed, given a PIN or deactivated
    RECORD = "record"  # Field: a meter reading
    SYNC = "sync"  # Field: the outbox pushed to the provider
    PROBE = "probe"  # Field: is the provider reachable?
    IMPORT = "import"  # Field: a route's bills created at the provider
    RESOLVE = "resolve"  # Field: a conflict re-issued or dropped
    PUSH = "push"  # Settings: the back office's "Push now"
    REGISTER = "register"  # Settings: this till registered with a back office


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Screen(Protocol):
    """What the runner needs of a model: the line of words it shows, and a way to say it changed."""

    message: str
    message_level: str

    def changed(self) -> None: ...


@dataclass(frozen=True)
class Words:
    """How one operation's failure reads. ``failed`` leads the reason ("Refund not made: …");
    ``refused`` leads a refusal (a wrong PIN, credentials refused), ``failed`` when empty; ``stop``
    ends the sentence ("." on the journal); ``expected``: more error types this operation expects
    (e.g. ValueError from a form's own checks), said like the table's without a traceback."""

    failed: str | LazyText
    refused: str | LazyText = ""
    stop: str = ""
    expected: tuple[type[Exception], ...] = ()


class Said(StrEnum):
    AS_IS = "as-is"  # written for the cashier: said as it is, as a sentence
    FAILED = "failed"  # "<failed>: <reason>"
    REFUSED = "refused"  # "<refused>: <reason>"


# The one table of expected errors and how each reads; the first matching type wins (subclasses first:
# PinError and MoneyError are ValueErrors).
EXPECTED: tuple[tuple[type[Exception], Said], ...] = (
    (CheckoutError, Said.AS_IS),  # SaleInProgress, ChargeFailed: the controller words them for the cashier
    (MoneyError, Said.AS_IS),
    (PinError, Said.REFUSED),
    (RefundError, Said.FAILED),
    (ProviderError, Said.FAILED),
    (SettingsError, Said.FAILED),
    (SecretsUnavailable, Said.FAILED),
    (OSError, Said.FAILED),
)


def reason(exc: BaseException) -> str:
    """The error's own words: an OSError's ``strerror`` ("Permission denied"), a provider's failure in the
    words a cashier reads (its technical account goes to the log), else its message."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, ProviderError):
        log.info("provider call failed: %s", exc)
        return str(exc.words)
    return str(exc)


def explain(exc: BaseException, words: Words) -> str | None:
    """The words the user reads for an expected error; None when ``exc`` is unexpected."""
    said = next((how for kind, how in EXPECTED if isinstance(exc, kind)), None)
    if said is None and isinstance(exc, words.expected):
        said = Said.FAILED
    if said is None:
        return None
    if said is Said.AS_IS:
        return sentence(str(exc))
    lead = str(words.refused if said is Said.REFUSED and words.refused else words.failed)
    why = reason(exc)
    return _("{failed}: {reason}").format(failed=lead, reason=why) + ("" if why.endswith(".") else words.stop)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What an operation came to: its ``value``, or the ``error`` words (already shown);
    ``refused``: never started, because the screen was busy with something else."""

    value: T | None = None
    error: str = ""
    refused: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and not self.refused


@dataclass
class Operations:
    """The runner of one screen. ``while_busy(running, wanted)`` words a press refused because
    ``running`` is still going (default: "Still busy: wait a moment.")."""

    screen: Screen
    while_busy: Callable[[Busy, Busy], str] = lambda running, wanted: _("Still busy: wait a moment.")
    busy: Busy | None = field(default=None, init=False)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set, init=False)
    _refusal: str = field(default="", init=False)  # a refused press's words, cleared when the operation ends

    def refuse(self, wanted: Busy) -> bool:
        """True (and the reason said) when ``wanted`` cannot start now because another one runs."""
        if self.busy is None:
            return False
        self._refusal = self.while_busy(self.busy, wanted)
        self._say(self._refusal, Level.INFO)
        return True

    def start(
        self,
        busy: Busy,
        call: Coroutine[Any, Any, T],
        words: Words,
        *,
        doing: str | None = "",
        level: Level = Level.ERROR,
    ) -> asyncio.Task[Outcome[T]]:
        """Start ``call`` as a held task marked ``busy``; ``doing``: the words meanwhile ("" clears the
        line, None leaves it); ``level``: of the failure's words. Call it from a running loop."""
        loop = asyncio.get_running_loop()
        if self.refuse(busy):
            call.close()  # never awaited: closed, so no "coroutine was never awaited"
            return loop.create_task(_refused())
        self.busy = busy
        if doing is not None:
            self.screen.message, self.screen.message_level = doing, Level.INFO
        self.screen.changed()
        task = loop.create_task(self._run(busy, call, words, level))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(lambda _t: call.close())  # cancelled before it ran: closed, never "not awaited"
        return task

    async def run(
        self,
        busy: Busy,
        call: Coroutine[Any, Any, T],
        words: Words,
        *,
        doing: str | None = "",
        level: Level = Level.ERROR,
    ) -> Outcome[T]:
        """``start`` and wait for its outcome (a refused press is answered without a task)."""
        if self.refuse(busy):
            call.close()
            return Outcome(refused=True)
        return await self.start(busy, call, words, doing=doing, level=level)

    def say(self, text: str, level: Level = Level.INFO) -> None:
        """Progress in words while busy ("Refunding BRL 5.00…")."""
        self._say(text, level)

    async def _run(self, busy: Busy, call: Coroutine[Any, Any, T], words: Words, level: Level) -> Outcome[T]:
        try:
            value = await call
        except asyncio.CancelledError:
            raise  # the screen is going away: nothing to say
        except Exception as exc:
            text = explain(exc, words)
            if text is None:
                log.exception("%s failed", busy.value)
                text = (
                    _("{failed}: something went wrong inside TillQR (the details are in its log)").format(
                        failed=words.failed
                    )
                    + words.stop
                )
            self._end()
            self._say(text, level)
            return Outcome(error=text)
        finally:
            if self.busy is busy:
                self._end()
                self.screen.changed()
        return Outcome(value=value)

    def _end(self) -> None:
        self.busy = None
        if self._refusal and self.screen.message == self._refusal:
            self.screen.message, self.screen.message_level = "", Level.INFO  # what it waited for is over
        self._refusal = ""

    def _say(self, text: str, level: Level) -> None:
        self.screen.message, self.screen.message_level = text, level
        self.screen.changed()

    def close(self) -> None:
        """Cancel what is still running (the screen is going away)."""
        for task in list(self.tasks):
            task.cancel()


async def _refused() -> Outcome[Any]:
    return Outcome(refused=True)
