"""Waiting on a condition, not on the clock: a test goes on the moment what it waits for is true."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

Condition = Callable[[], bool | Awaitable[bool]]


async def until(condition: Condition, timeout: float = 10.0, step: float = 0.01) -> None:
    """Return as soon as ``condition()`` (a plain or an async predicate) is true; fail after ``timeout``
    seconds. ``step`` only spaces the checks: nothing is asserted about how long it took."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                met = condition()
                if inspect.isawaitable(met):
                    met = await met
                if met:
                    return
                await asyncio.sleep(step)
    except TimeoutError:
        raise AssertionError(f"still not true after {timeout} s: {condition!r}") from None
