"""Seeds for the sandbox's fault injector that make a chosen sequence of faults happen."""

from __future__ import annotations

from app.sandbox.faults import FaultConfig, FaultInjector


def seed_where(first: list[str | None], **rates: float) -> int:
    """A seed whose first ``len(first)`` provider calls get exactly these faults (None: no fault)."""
    for seed in range(20_000):
        injector = FaultInjector()
        injector.configure(FaultConfig(seed=seed, **rates))
        if [injector.draw() for _ in first] == first:
            return seed
    raise AssertionError(f"no seed gives {first} with {rates}")
