"""Wiring: settings → provider → journal → controller, for the GUI and the command line.

Demo mode runs on the sandbox: in-process through httpx's ASGI transport, or the
one at ``TILLQR_SANDBOX_URL``. Demo sales go to their own journal file so they
never mix with a shop's real sales. The in-process sandbox keeps its state in
``<data>/sandbox-demo.json`` (``app.sandbox.persist``): read when it starts, written
after every call that changes it and when the runtime closes, so what one command
created is there for the next (a sale ``recover`` asks about, a route's payment links).

``open_runtime`` opens a till (journal, static link, till lock, controller); ``open_provider``
only the provider (and the sandbox in demo mode), for the field commands.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from app.checkout.controller import CheckoutController
from app.checkout.push import PushHub, SandboxHub, WebSocketHub
from app.config import settings as settings_mod
from app.config.paths import Paths, paths, private_file
from app.config.secrets import SecretsUnavailable, get_secret
from app.providers.base import (
    Capability,
    LinkInfo,
    PaymentProvider,
    ProviderNotFound,
    ProviderTimeout,
    ProviderUnavailable,
    linking,
)
from app.providers.registry import BY_NAME, unknown
from app.providers.spec import ProviderSpec
from app.storage.journal import Journal, JournalError
from app.urlcheck import UnsafeUrl, checked_url

if TYPE_CHECKING:
    from app.sandbox.persist import StateKeeper

INPROCESS_BASE = "http://sandbox.invalid"
SANDBOX_STATE_FILE = "sandbox-demo.json"  # in the data folder: the in-process demo sandbox's state


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
        elif isinstance(cause, ProviderTimeout):  # it is up but slow (e.g. its simulated latency): not "start it"
            super().__init__(
                f"the demo sandbox at {url} (TILLQR_SANDBOX_URL) is slow: it did not answer in time ({cause}); "
                "try again (its simulated latency and faults are cleared with DELETE /_sandbox/faults)"
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
        return _mode_text(self.provider, self.demo, self.sandbox)

    async def save_sandbox(self) -> None:
        """The in-process demo sandbox's state to its file now (for long-running processes; also done
        after every change and at ``aclose``); nothing to do on a configured provider or an outside sandbox."""
        if self.sandbox is not None:
            await self.sandbox.save()

    async def aclose(self) -> None:
        await self.controller.aclose()
        if self.hub:
            await self.hub.aclose()
        await self.provider.aclose()
        try:
            if self.sandbox:
                await self.sandbox.aclose()
        finally:
            await self.journal.aclose()
            if self.lock:
                self.lock.release()


@dataclass
class ProviderHandle:
    """The provider alone (and in demo mode the sandbox), for the field commands: no journal, no static
    link, no till lock. ``aclose()`` saves the in-process sandbox's state, as ``Runtime.aclose`` does."""

    provider: PaymentProvider
    sandbox: SandboxHandle | None
    demo: bool
    settings: settings_mod.Settings
    paths: Paths

    @property
    def mode_text(self) -> str:
        return _mode_text(self.provider, self.demo, self.sandbox)

    async def aclose(self) -> None:
        try:
            await self.provider.aclose()
        finally:
            if self.sandbox is not None:
                await self.sandbox.aclose()


def _mode_text(provider: PaymentProvider, demo: bool, sandbox: SandboxHandle | None) -> str:
    if not demo:
        return f"{provider.name}"
    where = sandbox.url if sandbox and sandbox.url else "in-process"
    return f"DEMO — sandbox ({where}), provider {provider.name}"


class TillBusy(CannotStart):
    """Another TillQR process holds this till."""


class JournalUnusable(CannotStart):
    """The till's journal is damaged (kept aside) or from a newer TillQR; the message says what to do."""


def _journal(path: Path) -> Journal:
    try:
        return Journal(path)
    except JournalError as exc:
        raise JournalUnusable(str(exc)) from exc


class TillLock:
    """One TillQR at a time on a till's journal (GUI, charge, recover): two would both think they own
    the counter's sale. An OS file lock, released by the OS too if the process dies."""

    def __init__(self, path: Path):
        self.path = path
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_APPEND, 0o600)  # this user's only, like every file
        private_file(path, fd)  # one an older TillQR left open (0644) too
        self._fh = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the runtime's life
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


def lock_file(p: Paths, demo: bool) -> Path:
    """The till lock of the shop's journal, or of the demo one."""
    return p.data_dir / ("till-demo.lock" if demo else "till.lock")


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
    demo, settings, name = _choose(configured, demo, provider)
    if duration_s is not None and not 1 <= duration_s <= 86400:
        raise CannotStart(f"a request must stay payable between 1 and 86400 seconds, not {duration_s}")
    lock = TillLock(lock_file(p, demo))
    try:
        return await _assemble(p, settings, demo, name, lock, duration_s, poll_interval)
    except BaseException:
        lock.release()
        raise


def _choose(
    configured: settings_mod.Settings | None, demo: bool | None, provider: str | None
) -> tuple[bool, settings_mod.Settings, str]:
    """Demo or not (``None``: demo when nothing is configured), the settings in force, the provider's name."""
    demo = configured is None if demo is None else demo
    settings = settings_mod.Settings() if demo or configured is None else configured
    if demo and configured is not None:
        settings = settings_mod.Settings(store_name=configured.store_name, store_city=configured.store_city)
    name = provider or settings.provider
    if name not in BY_NAME:
        raise CannotStart(unknown(name))
    return demo, settings, name


async def open_provider(
    *, demo: bool | None = None, home: Path | None = None, provider: str | None = None
) -> ProviderHandle:
    """The provider's client for the field commands (``demo=None``: demo when nothing is configured; ``provider``
    picks a sandbox provider in demo mode): in demo mode on the sandbox (``TILLQR_SANDBOX_URL``'s, or the
    in-process one with its state kept as ``open_runtime`` keeps it), else the configured provider. No journal,
    no static link, no till lock: it may run beside an open till (see ``app.sandbox.persist`` for what two
    processes on one in-process demo sandbox mean)."""
    p, configured = load_settings(home)
    demo, settings, name = _choose(configured, demo, provider)
    if not demo:
        return ProviderHandle(_real_provider(BY_NAME[name], settings), None, False, settings, p)
    sandbox, prov, _hub = _demo_provider(BY_NAME[name], p.data_dir / SANDBOX_STATE_FILE)  # its hub never started
    if settings.currency not in prov.currencies:  # each sandbox market has its currency
        settings = replace(settings, currency=prov.currencies[0])
    return ProviderHandle(prov, sandbox, True, settings, p)


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
            sandbox, prov, hub = _demo_provider(BY_NAME[name], p.data_dir / SANDBOX_STATE_FILE)
            opened.push_async_callback(sandbox.aclose)
            opened.push_async_callback(prov.aclose)
            opened.push_async_callback(hub.aclose)
            await hub.start()
            journal = _journal(p.data_dir / "journal-demo.sqlite3")
        else:
            prov = _real_provider(BY_NAME[name], settings)
            opened.push_async_callback(prov.aclose)
            journal = _journal(p.journal_file)
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


def _demo_provider(
    spec: ProviderSpec, state_file: Path | None = None
) -> tuple[SandboxHandle, PaymentProvider, PushHub]:
    """The sandbox's customer side, a client of the ``spec`` provider's API, and its status events.
    ``state_file``: where the in-process sandbox's state is kept (read now, saved after every change)."""
    url = os.environ.get("TILLQR_SANDBOX_URL", "").rstrip("/")
    if url:
        try:
            checked_url(url, "TILLQR_SANDBOX_URL")
        except UnsafeUrl as exc:
            raise CannotStart(str(exc)) from None
    credentials = spec.demo_credentials()  # the sandbox takes any non-empty credentials of each provider's scheme
    if url:
        client = httpx.AsyncClient(base_url=url, timeout=10.0)
        prov = spec.create(base_url=f"{url}/{spec.name}", credentials=credentials)
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
    prov = spec.create(base_url=f"{INPROCESS_BASE}/{spec.name}", credentials=credentials, transport=transport)
    return SandboxHandle(client, None, keeper), prov, SandboxHub(app.state.sandbox)


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
    if sandbox and sandbox.url:
        key: str | None = f"demo_link:{sandbox.url}"
    else:  # the in-process sandbox: the link lasts as long as its state file
        key = f"demo_link:in-process:{prov.name}" if sandbox and sandbox.keeper else None
    if key:
        known = await journal.get_value(key)
        if known:
            try:
                return await linking(prov).get_link(known)
            except ProviderNotFound:
                pass  # the sandbox was restarted (or its state file set aside): make a new one
    link = await linking(prov).create_link(uuid.uuid4().hex, "TillQR demo counter")
    if key:
        if sandbox is not None:
            await sandbox.settled()  # the journal names the link only once the sandbox's file holds it
        await journal.set_value(key, link.link_id)
    return link
