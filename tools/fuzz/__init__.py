"""Bad input, generated: each target is what TillQR reads from people, files and providers, with the only
outcomes it may have (a value, or its own error in words). ``python -m tools.fuzz`` runs them at length;
``tests/fuzz`` runs the same targets as hypothesis property tests (a few examples in ``make test``).

A target is a hypothesis strategy of inputs and a checker: ``open(workdir)`` gives a function that runs one
input through the real code and raises on anything but an accepted outcome (a crash, or a broken promise
such as a file changed by reading it, an error that does not name the file, a route half-imported).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

Check = Callable[[object], None]


@dataclass(frozen=True)
class Target:
    name: str
    inputs: st.SearchStrategy[object]
    open: Callable[[Path], AbstractContextManager[Check]]


class Broken(AssertionError):
    """An input handled without a crash but against the contract (the message says which promise)."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Broken(message)


def words(message: str) -> None:
    """An error message people can read: some words, no traceback."""
    expect(bool(message.strip()), "an error without a message")
    # a traceback's own first line: the word alone may be the input, quoted back (a section named [Traceback])
    expect("Traceback (most recent call last)" not in message, f"a traceback in an error message: {message[:200]!r}")


def each_string(data: object) -> Iterator[str]:
    """Every string inside a JSON-like value (for the seed payloads of a fixture file)."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from each_string(value)
    elif isinstance(data, list):
        for value in data:
            yield from each_string(value)
