"""``Listeners``: who a screen's model tells after each change (its view redraws), one mechanism for every model."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[], None]


class Listeners:
    """Called (``listeners()``) after every change of a model; ``add`` returns the function that stops one."""

    def __init__(self) -> None:
        self._all: list[Listener] = []

    def add(self, listener: Listener) -> Callable[[], None]:
        self._all.append(listener)

        def stop() -> None:
            if listener in self._all:
                self._all.remove(listener)

        return stop

    def clear(self) -> None:
        self._all.clear()

    def __call__(self) -> None:
        for listener in list(self._all):  # a listener may stop itself (or another) while told
            listener()
