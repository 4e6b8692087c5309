"""Clients made during a test, all closed after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def closed_after(build: Callable[..., T]) -> AsyncIterator[Callable[..., T]]:
    """For a fixture: hands out ``build`` as a factory, then closes (``aclose()``) everything it built.

    Use as ``async for make in closed_after(build): yield make``."""
    made: list[Any] = []

    def make(*args: Any, **kwargs: Any) -> T:
        made.append(build(*args, **kwargs))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()
