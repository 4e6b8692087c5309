"""What every ``tillqr`` command shares: output that survives a closed pipe, errors in words,
bounded waits, SIGTERM handled like Ctrl-C, and argument types that refuse nonsense as usage errors.
"""

from __future__ import annotations

import argparse
import asyncio
import gettext
import json
import math
import os
import signal
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

from app.domain.excerpt import excerpt
from app.i18n import DOMAIN, TRANSLATIONS, LazyText, _, lazy_

T = TypeVar("T")


class StdoutGone:
    """Set once stdout's reader went away (``tillqr journal list | head -1``): output is dropped since."""

    gone = False


def quiet_stdout() -> None:
    """The standard recipe for a closed pipe: point stdout at /dev/null so nothing more (not even the
    flush at exit) raises, and let the command finish or stop quietly."""
    StdoutGone.gone = True
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (tests capturing output): nothing to redirect
        pass


def say(text: str) -> None:
    """A line on stdout; when nobody reads stdout any more, the line is dropped (see ``StdoutGone``)."""
    if StdoutGone.gone:
        return
    try:
        print(text, flush=True)
    except BrokenPipeError:
        quiet_stdout()


def emit(obj: dict) -> None:
    say(json.dumps(obj, ensure_ascii=False))


def err(message: str) -> None:
    note(_("error: {message}").format(message=message))


def note(message: str) -> None:
    try:
        print(f"tillqr: {message}", file=sys.stderr, flush=True)
    except (BrokenPipeError, ValueError):
        pass


def on_sigterm(callback: Callable[[], None]) -> Callable[[], None]:
    """Run ``callback`` on SIGTERM (on the running loop); returns the undo. No-op where unsupported."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, callback)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        return lambda: None

    def undo() -> None:
        try:
            loop.remove_signal_handler(signal.SIGTERM)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    return undo


# -- argument types: a bad value is a usage error (exit 1 with the usage), before anything is created -------
def seconds(text: str) -> float:
    """A positive, finite number of seconds (``--wait``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("must be a number of seconds, not {text}").format(text=excerpt(text))
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            _("must be a positive number of seconds, not {text}").format(text=excerpt(text))
        )
    return value


def delay(text: str) -> float:
    """Zero or more seconds, finite (``--pay-after``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("must be a number of seconds, not {text}").format(text=excerpt(text))
        ) from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(_("must be zero or more seconds, not {text}").format(text=excerpt(text)))
    return value


def _int_between(low: int, high: int, words: LazyText) -> Callable[[str], int]:
    """``words``: the whole refusal, with {low}, {high} and {text}."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(words.format(low=low, high=high, text=excerpt(text)))
        return value

    return parse


# a request's lifetime (--expires-in)
whole_seconds = _int_between(1, 86400, lazy_("must be whole seconds from {low} to {high}, not {text}"))
port = _int_between(0, 65535, lazy_("must be a port number from {low} to {high}, not {text}"))  # 0: any free one


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1: exit 2 is reserved for "the sale ended unpaid" (``charge``), and
    the error line reads as ``err``'s do, in the language in force."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: " + _("error: {message}").format(message=message) + "\n")


def speak_argparse() -> None:
    """argparse's own words ("usage:", "options", "the following arguments are required: …") from TillQR's
    catalogue: argparse asks gettext's default domain for them, so TillQR's domain becomes that default (the
    standard library's documented switch; ``argparse_words`` lists the texts so the catalogue carries them).
    gettext then reads the language from the environment, as ``app.i18n`` does before the store's settings
    are read, which is when every command line is parsed."""
    gettext.bindtextdomain(DOMAIN, str(TRANSLATIONS))
    gettext.textdomain(DOMAIN)


def demo_flag(args) -> bool | None:
    return True if (getattr(args, "demo", False) or getattr(args, "sub_demo", False)) else None
