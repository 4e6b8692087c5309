"""Demo mode's sandbox: the in-process one (its state kept in ``<data>/sandbox-demo.json``) or the one at
``TILLQR_SANDBOX_URL``, the provider's client on it, its status events, and the customer's side of it
(``SandboxHandle``: pay, state, faults)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from app.checkout.push import PushHub, SandboxHub, WebSocketHub
from app.providers.base import PaymentProvider
from app.providers.spec import ProviderSpec
from app.urlcheck import UnsafeUrl, checked_url

from .errors import CannotStart, SandboxError

if TYPE_CHECKING:
    from app.sandbox.persist import StateKeeper

INPROCESS_BASE = "http://sandbox.invalid"
SANDBOX_STATE_FILE = "sandbox-demo.json"  # in the data folder: the in-process demo sandbox's state


@dataclass
class SandboxHandle:
    """The customer's side of the sandbox (and its test hooks); for the in-process one, its keeper too."""

    client: httpx.AsyncClient
    url: str | None  # None when in-process
    keeper: StateKeeper | None = None  # the in-process sandbox's state file (None: not kept, or not ours)

    async def settled(self) -> None:
        """Wait until the in-process sandbox's state file holds every change made so far (no-op otherwise)."""
        if self.keeper is not None:
            await self.keeper.settled()

    async def save(self) -> None:
        """The in-process sandbox's state to its file now (saved after every change anyway)."""
        if self.keeper is not None:
            await self.keeper.save()

    async def aclose(self) -> None:
        try:
            await self.save()
        finally:
            await self.client.aclose()

    async def pay(self, payload: str, amount: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"payload": payload}
        if amount is not None:
            body["amount"] = amount
        resp = await self.client.post("/_sandbox/pay", json=body)
        data = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
        if resp.status_code != 200:
            raise SandboxError(data.get("message") or data.get("error") or f"sandbox answered {resp.status_code}")
        return data

    async def state(self) -> dict[str, Any]:
        resp = await self.client.get("/_sandbox/state")
        resp.raise_for_status()
        return resp.json()

    async def faults(self, **rates: Any) -> None:
        resp = await (
            self.client.post("/_sandbox/faults", json=rates) if rates else self.client.delete("/_sandbox/faults")
        )
        resp.raise_for_status()


def demo_provider(
    spec: ProviderSpec, state_file: Path | None = None, notify_url: str | None = None
) -> tuple[SandboxHandle, PaymentProvider, PushHub]:
    """The sandbox's customer side, a client of the ``spec`` provider's API, and its status events.
    ``state_file``: where the in-process sandbox's state is kept (read now, saved after every change);
    ``notify_url``: the local receiver, for a provider whose requests name where to notify."""
    url = os.environ.get("TILLQR_SANDBOX_URL", "").rstrip("/")
    if url:
        try:
            checked_url(url, "TILLQR_SANDBOX_URL")
        except UnsafeUrl as exc:
            raise CannotStart(str(exc)) from None
    credentials = spec.demo_credentials()  # the sandbox takes any non-empty credentials of each provider's scheme
    options: dict[str, Any] = {spec.notify_option: notify_url} if notify_url and spec.notify_option else {}
    if url:
        client = httpx.AsyncClient(base_url=url, timeout=10.0)
        prov = spec.create(base_url=f"{url}/{spec.name}", credentials=credentials, **options)
        ws = "ws" + url[len("http") :] if url.startswith("http") else url
        return SandboxHandle(client, url), prov, WebSocketHub(f"{ws}/_sandbox/events?provider={spec.name}")
    from app.sandbox.server import create_app  # lazy: demo mode only; a configured till never loads the sandbox

    app = create_app(modules=(spec.sandbox_module,))
    keeper = None
    if state_file is not None:
        from app.sandbox.persist import StateKeeper  # lazy: demo mode only, as the sandbox itself

        keeper = StateKeeper(app.state.sandbox, state_file)
        keeper.load()
    transport = httpx.ASGITransport(app=keeper.watch(app) if keeper else app)
    client = httpx.AsyncClient(transport=transport, base_url=INPROCESS_BASE)
    prov = spec.create(
        base_url=f"{INPROCESS_BASE}/{spec.name}", credentials=credentials, transport=transport, **options
    )
    return SandboxHandle(client, None, keeper), prov, SandboxHub(app.state.sandbox)
