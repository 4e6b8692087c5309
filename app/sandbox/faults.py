"""Fault injection for the provider routes (never for ``/_sandbox/*``).

``POST /_sandbox/faults`` takes ``{"latency_ms", "error_rate", "timeout_rate",
"drop_rate", "garbage_rate", "auth_rate", "seed"}`` (all optional; rates between 0
and 1; ``garbage_rate``, ``auth_rate`` and ``seed`` are TillQR additions). Each
provider call then:

1. waits ``latency_ms``;
2. draws, from one ``random.Random(seed)``, four numbers in a fixed order and
   takes the first fault that hits: **drop** (the connection is closed before any
   answer), **timeout** (the call *is processed*, but its answer is held for
   ``fault_hold_s`` seconds or until the client gives up — the case idempotency
   keys exist for), **error** (503 with the provider's own error body; nothing
   processed), **garbage** (200 with a body that is not JSON; nothing processed),
   **auth** (the call arrives without its credentials, so the provider's own 401
   answers: keys revoked or mistyped; nothing processed). The fifth number is drawn
   only while ``auth_rate`` is set, so seeds chosen before it keep their sequence;
3. otherwise runs normally.

``clock_skew_s`` (a TillQR addition, not a fault rate): the provider's answers carry an HTTP ``Date`` that
far from the sandbox's clock (negative: behind), as a provider whose clock and the till's disagree; the
till's clock check (``app.providers.http``) is tested with it. 0: no ``Date`` of the sandbox's own.

A drop on uvicorn aborts the TCP connection (the transport is reached through
the ASGI ``send`` callable of uvicorn's HTTP cycle), so a client sees the server
disconnect without a response. In-process, under httpx's ASGI transport, it
raises ``ConnectionDropped`` (a ``ConnectionResetError``), which that transport
hands to the client as is.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RATES = ("error_rate", "timeout_rate", "drop_rate", "garbage_rate", "auth_rate")
MAX_LATENCY_MS = 120_000
MAX_SKEW_S = 10 * 365 * 86400  # ten years either way


class ConnectionDropped(ConnectionResetError):
    """The sandbox dropped the connection on purpose (a fault), before any answer."""


@dataclass(frozen=True)
class FaultConfig:
    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    drop_rate: float = 0.0
    garbage_rate: float = 0.0
    auth_rate: float = 0.0
    seed: int | None = None
    clock_skew_s: float = 0.0  # the answers' Date header is this far from the sandbox's clock

    @classmethod
    def from_json(cls, data: Any) -> FaultConfig:
        """Validate what a test or a demo posted; ValueError with a clear message otherwise."""
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        unknown = sorted(set(data) - {"latency_ms", "seed", "clock_skew_s", *RATES})
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        latency = data.get("latency_ms", 0)
        if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= MAX_LATENCY_MS:
            raise ValueError(f"latency_ms must be an integer from 0 to {MAX_LATENCY_MS}")
        rates: dict[str, float] = {}
        for name in RATES:
            value = data.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number from 0 to 1")
            rates[name] = float(value)
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed must be an integer")
        skew = data.get("clock_skew_s", 0)
        if isinstance(skew, bool) or not isinstance(skew, (int, float)) or not -MAX_SKEW_S <= skew <= MAX_SKEW_S:
            raise ValueError(f"clock_skew_s must be a number of seconds from -{MAX_SKEW_S} to {MAX_SKEW_S}")
        return cls(latency_ms=latency, seed=seed, clock_skew_s=float(skew), **rates)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    def __init__(self) -> None:
        self.configure(FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)

    def clear(self) -> None:
        self.configure(FaultConfig())

    @property
    def active(self) -> bool:
        c = self.config
        return bool(c.latency_ms or c.error_rate or c.timeout_rate or c.drop_rate or c.garbage_rate or c.auth_rate)

    def draw(self) -> str | None:
        """The fault for the next call: "drop", "timeout", "error", "garbage", "auth" or None."""
        c = self.config
        # Always four (five with auth_rate): the sequence depends on the seed and the settings only.
        draws = [self._rng.random() for _ in range(5 if c.auth_rate else 4)]
        for name, rate, value in zip(
            ("drop", "timeout", "error", "garbage", "auth"),
            (c.drop_rate, c.timeout_rate, c.error_rate, c.garbage_rate, c.auth_rate),
            draws,
        ):
            if value < rate:
                return name
        return None


async def drop_connection(send: Send) -> None:
    """Close the connection without an answer (see the module docstring)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        for _ in range(3):  # let the server notice the disconnect, so it sends no 500 of its own
            await asyncio.sleep(0)
        return
    raise ConnectionDropped("sandbox fault: connection dropped before an answer")


async def _until_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return


async def hold_answer(app: ASGIApp, scope: Scope, receive: Receive, send: Send, hold_s: float) -> None:
    """Process the call, then keep its answer until the client gives up (or ``hold_s`` passes)."""
    held: list[Message] = []

    async def capture(message: Message) -> None:
        held.append(message)

    await app(scope, receive, capture)
    try:
        await asyncio.wait_for(_until_disconnect(receive), timeout=hold_s)
        return  # the client is gone: the answer is never sent
    except TimeoutError:
        pass
    for message in held:
        await send(message)


async def send_bytes(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
