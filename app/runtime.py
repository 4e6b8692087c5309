"""Wiring: settings → provider → journal → controller, for the GUI and the command line.

Demo mode runs on the sandbox: in-process through httpx's ASGI transport, or the
one at ``TILLQR_SANDBOX_URL``. Demo sales go to their own journal file so they
never mix with a shop's real sales.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from app.checkout.controller import CheckoutController
from app.checkout.push import PushHub, SandboxHub, WebSocketHub
from app.config import settings as settings_mod
from app.config.paths import Paths, paths
from app.config.secrets import SecretsUnavailable, get_secret
from app.providers.base import Capability, LinkInfo, PaymentProvider, ProviderNotFound, ProviderUnavailable, linking
from app.providers.registry import BY_NAME, unknown
from app.providers.spec import ProviderSpec
from app.storage.journal import Journal

INPROCESS_BASE = "http://sandbox.invalid"


class CannotStart(Exception):
    """The till cannot start; the message says what to fix."""


class SandboxError(Exception):
    pass


class SandboxUnavailable(CannotStart):
    """Demo mode's sandbox at ``TILLQR_SANDBOX_URL`` does not answer: no demo till can start either."""

    def __init__(self, url: str, cause: Exception):
        status = getattr(cause, "status_code", None)
        if status:  # it is up, and answered an error (e.g. one of its simulated faults): not "start it"
            super().__init__(
                f"the demo sandbox at {url} (TILLQR_SANDBOX_URL) answered {status} ({cause}); "
                "try again (its simulated faults are cleared with DELETE /_sandbox/faults)"
            )
        else:
            port = url.rsplit(":", 1)[-1].split("/")[0] if url.count(":") > 1 else ""
            start = f"`tillqr sandbox --port {port}`" if port.isdigit() else "`tillqr sandbox`"
            super().__init__(
                f"the demo sandbox at {url} (TILLQR_SANDBOX_URL) cannot be reached ({cause}): "
                f"start it with {start}, or unset TILLQR_SANDBOX_URL to use the built-in one"
            )
        self.url = url


@dataclass
class SandboxHandle:
    """The customer's side of the sandbox (and its test hooks)."""

    client: httpx.AsyncClient
    url: str | None  # None when in-process

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


@dataclass
class Runtime:
    controller: CheckoutController
    provider: PaymentProvider
    journal: Journal
    settings: settings_mod.Settings
    paths: Paths
    demo: bool
    link: LinkInfo | None = None
    sandbox: SandboxHandle | None = None
    hub: PushHub | None = None
    _closers: list = field(default_factory=list)
    lock: TillLock | None = None

    @property
    def store_name(self) -> str:
        return self.settings.store_name

    @property
    def mode_text(self) -> str:
        if not self.demo:
            return f"{self.provider.name}"
        where = self.sandbox.url if self.sandbox and self.sandbox.url else "in-process"
        return f"DEMO — sandbox ({where}), provider {self.provider.name}"

    async def aclose(self) -> None:
        await self.controller.aclose()
        if self.hub:
            await self.hub.aclose()
        await self.provider.aclose()
        if self.sandbox:
            await self.sandbox.client.aclose()
        await self.journal.aclose()
        if self.lock:
            self.lock.release()


class TillBusy(CannotStart):
    """Another TillQR process holds this till."""


class TillLock:
    """One TillQR at a time on a till's journal (GUI, charge, recover): two would both think they own
    the counter's sale. An OS file lock, released by the OS too if the process dies."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the runtime's life
        try:
            import fcntl  # lazy: POSIX only; Windows has no fcntl (and no lock, as before)

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # no fcntl (Windows): no lock, as before
            pass
        except OSError:
            self._fh.seek(0)
            holder = self._fh.read().strip()
            self._fh.close()
            raise TillBusy(
                f"another TillQR is already running on this till ({holder or 'pid unknown'}); "
                "close it first (each till needs its own TILLQR_HOME)"
            ) from None
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"pid {os.getpid()}")
        self._fh.flush()

    def release(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def load_settings(home: Path | None = None) -> tuple[Paths, settings_mod.Settings | None]:
    p = paths(home).ensure()
    return p, settings_mod.load(p.config_file)


async def open_runtime(
    *,
    demo: bool | None = None,
    provider: str | None = None,
    home: Path | None = None,
    duration_s: int | None = None,
    poll_interval: float | None = None,
    ignore_config: bool = False,
) -> Runtime:
    """Everything a till needs, opened; ``demo=None`` means demo when nothing is configured.

    ``ignore_config`` (demo only): do not read config.toml at all — how the GUI still opens, in demo
    mode on the real data folder, when that file is broken and Settings must show why."""
    if ignore_config:
        p, configured, demo = paths(home).ensure(), None, True
    else:
        p, configured = load_settings(home)
    demo = configured is None if demo is None else demo
    settings = settings_mod.Settings() if demo or configured is None else configured
    if demo and configured is not None:
        settings = settings_mod.Settings(store_name=configured.store_name, store_city=configured.store_city)
    name = provider or settings.provider
    if name not in BY_NAME:
        raise CannotStart(unknown(name))
    if duration_s is not None and not 1 <= duration_s <= 86400:
        raise CannotStart(f"a request must stay payable between 1 and 86400 seconds, not {duration_s}")
    lock = TillLock(p.data_dir / ("till-demo.lock" if demo else "till.lock"))
    try:
        return await _assemble(p, settings, demo, name, lock, duration_s, poll_interval)
    except BaseException:
        lock.release()
        raise


async def _assemble(
    p: Paths,
    settings: settings_mod.Settings,
    demo: bool,
    name: str,
    lock: TillLock,
    duration_s: int | None,
    poll_interval: float | None,
) -> Runtime:
    """The runtime's parts, opened in order; when one fails, those already opened are closed again
    (a push hub left running would keep a task on the loop of a till that never started)."""
    async with contextlib.AsyncExitStack() as opened:
        sandbox = hub = None
        if demo:
            sandbox, prov, hub = _demo_provider(BY_NAME[name])
            opened.push_async_callback(sandbox.client.aclose)
            opened.push_async_callback(prov.aclose)
            opened.push_async_callback(hub.aclose)
            await hub.start()
            journal = Journal(p.data_dir / "journal-demo.sqlite3")
        else:
            prov = _real_provider(BY_NAME[name], settings)
            opened.push_async_callback(prov.aclose)
            journal = Journal(p.journal_file)
        opened.push_async_callback(journal.aclose)
        if demo and settings.currency not in prov.currencies:  # each sandbox market has its currency
            settings = replace(settings, currency=prov.currencies[0])
        link = None
        if Capability.STATIC_LINK in prov.capabilities:
            try:
                link = await _ensure_link(prov, journal, settings, demo, sandbox)
            except ProviderUnavailable as exc:
                if sandbox is not None and sandbox.url:
                    raise SandboxUnavailable(sandbox.url, exc) from exc
                raise
        controller = CheckoutController(
            prov,
            journal,
            link_id=link.link_id if link else None,
            currency=settings.currency,
            duration_s=settings.expires_in if duration_s is None else duration_s,
            poll_interval=settings.poll_interval if poll_interval is None else poll_interval,
            hub=hub,
        )
        runtime = Runtime(controller, prov, journal, settings, p, demo, link, sandbox, hub, lock=lock)
        opened.pop_all()  # from here on the runtime's aclose() closes them
        return runtime


def _demo_provider(spec: ProviderSpec) -> tuple[SandboxHandle, PaymentProvider, PushHub]:
    """The sandbox's customer side, a client of the ``spec`` provider's API, and its status events."""
    url = os.environ.get("TILLQR_SANDBOX_URL", "").rstrip("/")
    credentials = spec.demo_credentials()  # the sandbox takes any non-empty credentials of each provider's scheme
    if url:
        client = httpx.AsyncClient(base_url=url, timeout=10.0)
        prov = spec.create(base_url=f"{url}/{spec.name}", credentials=credentials)
        ws = "ws" + url[len("http") :] if url.startswith("http") else url
        return SandboxHandle(client, url), prov, WebSocketHub(f"{ws}/_sandbox/events?provider={spec.name}")
    from app.sandbox.server import create_app  # lazy: demo mode only; a configured till never loads the sandbox

    app = create_app(modules=(spec.sandbox_module,))
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url=INPROCESS_BASE)
    prov = spec.create(base_url=f"{INPROCESS_BASE}/{spec.name}", credentials=credentials, transport=transport)
    return SandboxHandle(client, None), prov, SandboxHub(app.state.sandbox)


def _real_provider(spec: ProviderSpec, s: settings_mod.Settings) -> PaymentProvider:
    """The configured provider, its credentials (``spec.secrets``) read from the OS keyring."""
    if not s.base_url:
        raise CannotStart("provider.base_url is not set in the configuration")
    credentials: dict[str, str] = {}
    try:
        for key in spec.secrets:
            value = get_secret(spec.name, key)
            if not value:
                raise CannotStart(f"no {key} for {spec.name} in the keyring: set the credentials in Settings")
            credentials[key] = value
    except SecretsUnavailable as exc:
        raise CannotStart(str(exc)) from None
    try:
        options: dict[str, Any] = spec.client_options(s)
        return spec.create(base_url=s.base_url, credentials=credentials, **options)
    except ValueError as exc:
        raise CannotStart(str(exc)) from None


async def _ensure_link(
    prov: PaymentProvider, journal: Journal, s: settings_mod.Settings, demo: bool, sandbox: SandboxHandle | None
) -> LinkInfo:
    """The counter's static payment link: the configured one, or in demo mode one made for this sandbox."""
    if not demo:
        if not s.payment_link_id:
            raise CannotStart("provider.payment_link_id is not set: create the static payment link in Settings")
        return await linking(prov).get_link(s.payment_link_id)
    key = f"demo_link:{sandbox.url}" if sandbox and sandbox.url else None
    if key:
        known = await journal.get_value(key)
        if known:
            try:
                return await linking(prov).get_link(known)
            except ProviderNotFound:
                pass  # the sandbox was restarted: make a new one
    link = await linking(prov).create_link(uuid.uuid4().hex, "TillQR demo counter")
    if key:
        await journal.set_value(key, link.link_id)
    return link
