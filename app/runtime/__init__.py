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
import logging
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.checkout.controller import CheckoutController
from app.checkout.push import JoinedHub, NotificationHub, PushHub
from app.config import settings as settings_mod
from app.config.paths import Paths, paths
from app.config.secrets import SecretsUnavailable, get_secret
from app.i18n import _, set_language
from app.providers.base import Capability, LinkInfo, PaymentProvider, ProviderNotFound, ProviderUnavailable, linking
from app.providers.registry import BY_NAME, unknown
from app.providers.spec import ProviderSpec
from app.storage.journal import Journal, JournalError

from .backoffice_events import backoffice_events
from .demo import INPROCESS_BASE, SANDBOX_STATE_FILE, SandboxHandle, demo_provider
from .errors import CannotStart, JournalUnusable, SandboxError, SandboxUnavailable, TillBusy
from .lock import TillLock, lock_file

if TYPE_CHECKING:
    from app.notifications.attach import Listening

log = logging.getLogger("tillqr.runtime")

__all__ = [
    "INPROCESS_BASE",
    "SANDBOX_STATE_FILE",
    "CannotStart",
    "JournalUnusable",
    "ProviderHandle",
    "Runtime",
    "SandboxError",
    "SandboxHandle",
    "SandboxUnavailable",
    "TillBusy",
    "TillLock",
    "load_settings",
    "lock_file",
    "open_provider",
    "open_runtime",
]


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
    listening: Listening | None = None  # the notification receiver, when configured and started
    notifications_problem: str = ""  # why it is configured but not listening
    unfinished: tuple[settings_mod.MissingSetting, ...] = ()  # a store's setup still lacking these: demo till

    @property
    def store_name(self) -> str:
        return self.settings.store_name

    @property
    def setup_note(self) -> str:
        """While the store's setup lacks something, "setup is unfinished: the provider's address …"; else ""."""
        return settings_mod.unfinished_text(self.unfinished)

    @property
    def mode_text(self) -> str:
        text = _mode_text(self.provider, self.demo, self.sandbox, self.unfinished)
        return f"{text} · {self.listening.text}" if self.listening else text

    async def save_sandbox(self) -> None:
        """The in-process demo sandbox's state to its file now (for long-running processes; also done
        after every change and at ``aclose``); nothing to do on a configured provider or an outside sandbox."""
        if self.sandbox is not None:
            await self.sandbox.save()

    async def aclose(self) -> None:
        if self.listening:
            await self.listening.aclose()
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
    unfinished: tuple[settings_mod.MissingSetting, ...] = ()

    @property
    def mode_text(self) -> str:
        return _mode_text(self.provider, self.demo, self.sandbox, self.unfinished)

    async def aclose(self) -> None:
        try:
            await self.provider.aclose()
        finally:
            if self.sandbox is not None:
                await self.sandbox.aclose()


def _mode_text(
    provider: PaymentProvider,
    demo: bool,
    sandbox: SandboxHandle | None,
    unfinished: tuple[settings_mod.MissingSetting, ...] = (),
) -> str:
    if not demo:
        return f"{provider.name}"
    where = sandbox.url if sandbox and sandbox.url else _("in-process")
    text = _("DEMO — sandbox ({where}), provider {provider}").format(where=where, provider=provider.name)
    return f"{text} · {settings_mod.unfinished_text(unfinished)}" if unfinished else text


def _journal(path: Path) -> Journal:
    try:
        return Journal(path)
    except JournalError as exc:
        raise JournalUnusable(str(exc)) from exc


def load_settings(home: Path | None = None) -> tuple[Paths, settings_mod.Settings | None]:
    """The folders and the saved settings (None: no config.toml). Saved settings may still be half set up
    (``settings.missing_setup``): such a store runs in demo mode, as one with none does."""
    p = paths(home).ensure()
    configured = settings_mod.load(p.config_file)
    set_language(configured.language if configured else "")  # the store's words and formats, else the system's
    return p, configured


async def open_runtime(
    *,
    demo: bool | None = None,
    provider: str | None = None,
    home: Path | None = None,
    duration_s: int | None = None,
    poll_interval: float | None = None,
    ignore_config: bool = False,
    receive: bool = False,
) -> Runtime:
    """Everything a till needs, opened; ``demo=None`` means demo when nothing is configured.

    ``ignore_config`` (demo only): do not read config.toml at all — how the GUI still opens, in demo
    mode on the real data folder, when that file is broken and Settings must show why. ``receive`` (the GUI):
    run the notification receiver when ``[notifications] port`` is set (``app.notifications.attach``); one
    that cannot listen is said in ``notifications_problem`` and the till runs on, polling."""
    if ignore_config:
        p, configured, demo = paths(home).ensure(), None, True
    else:
        p, configured = load_settings(home)
    demo, settings, name, unfinished = _choose(configured, demo, provider)
    if duration_s is not None and not 1 <= duration_s <= 86400:
        raise CannotStart(
            _("a request must stay payable between 1 and 86400 seconds, not {seconds}").format(seconds=duration_s)
        )
    lock = TillLock(lock_file(p, demo))
    try:
        runtime = await _assemble(p, settings, demo, name, lock, duration_s, poll_interval, receive)
        runtime.unfinished = unfinished
    except BaseException:
        lock.release()
        raise
    if receive and runtime.settings.notify_port:
        try:
            await _listen(runtime)
        except BaseException:
            await runtime.aclose()
            raise
    return runtime


def _choose(
    configured: settings_mod.Settings | None, demo: bool | None, provider: str | None
) -> tuple[bool, settings_mod.Settings, str, tuple[settings_mod.MissingSetting, ...]]:
    """Demo or not (``None``: demo unless the store is configured: a provider and its required settings
    saved), the settings in force, the provider's name, and what the store's setup still lacks."""
    unfinished = tuple(settings_mod.missing_setup(configured)) if configured is not None else ()
    demo = (configured is None or bool(unfinished)) if demo is None else demo
    settings = settings_mod.Settings() if demo or configured is None else configured
    if demo and configured is not None:  # the store's names, and its receiver (the demo sandbox notifies it)
        settings = settings_mod.Settings(
            store_name=configured.store_name,
            store_city=configured.store_city,
            notify_port=configured.notify_port,
            notify_host=configured.notify_host,
        )
    name = provider or settings.provider
    if name not in BY_NAME:
        raise CannotStart(unknown(name))
    return demo, settings, name, unfinished


async def open_provider(
    *, demo: bool | None = None, home: Path | None = None, provider: str | None = None
) -> ProviderHandle:
    """The provider's client for the field commands (``demo=None``: demo when nothing is configured; ``provider``
    picks a sandbox provider in demo mode): in demo mode on the sandbox (``TILLQR_SANDBOX_URL``'s, or the
    in-process one with its state kept as ``open_runtime`` keeps it), else the configured provider. No journal,
    no static link, no till lock: it may run beside an open till (see ``app.sandbox.persist`` for what two
    processes on one in-process demo sandbox mean)."""
    p, configured = load_settings(home)
    demo, settings, name, unfinished = _choose(configured, demo, provider)
    if not demo:
        return ProviderHandle(_real_provider(BY_NAME[name], settings), None, False, settings, p)
    sandbox, prov, _hub = demo_provider(BY_NAME[name], p.data_dir / SANDBOX_STATE_FILE)  # its hub never started
    if settings.currency not in prov.currencies:  # each sandbox market has its currency
        settings = replace(settings, currency=prov.currencies[0])
    return ProviderHandle(prov, sandbox, True, settings, p, unfinished)


async def _assemble(
    p: Paths,
    settings: settings_mod.Settings,
    demo: bool,
    name: str,
    lock: TillLock,
    duration_s: int | None,
    poll_interval: float | None,
    receive: bool = False,
) -> Runtime:
    """The runtime's parts, opened in order; when one fails, those already opened are closed again
    (a push hub left running would keep a task on the loop of a till that never started)."""
    async with contextlib.AsyncExitStack() as opened:
        sandbox = hub = None
        receiving = receive and settings.notify_port > 0
        if demo:
            notify = _local_receiver(settings, name) if receiving else None
            sandbox, prov, hub = demo_provider(BY_NAME[name], p.data_dir / SANDBOX_STATE_FILE, notify)
            opened.push_async_callback(sandbox.aclose)
            opened.push_async_callback(prov.aclose)
            opened.push_async_callback(hub.aclose)
            await hub.start()
            journal = _journal(p.data_dir / "journal-demo.sqlite3")
        else:
            prov = _real_provider(BY_NAME[name], settings)
            opened.push_async_callback(prov.aclose)
            journal = _journal(p.journal_file)
        relayed = backoffice_events(p.data_dir, demo, settings.backoffice_url)  # None unless registered
        if relayed is not None:  # the back office's relayed notifications wake watchers beside the till's own hub
            opened.push_async_callback(relayed.aclose)
            await relayed.start()
            hub = JoinedHub(hub, relayed)
        if receiving:
            hub = NotificationHub(hub)  # notifications wake watchers beside the sandbox's or websocket's events
        opened.push_async_callback(journal.aclose)
        if demo and settings.currency not in prov.currencies:  # each sandbox market has its currency
            settings = replace(settings, currency=prov.currencies[0])
        link, link_id = None, None
        if Capability.STATIC_LINK in prov.capabilities:
            try:
                link = await _ensure_link(prov, journal, settings, demo, sandbox)
                link_id = link.link_id
            except ProviderUnavailable as exc:
                if sandbox is not None and sandbox.url:
                    raise SandboxUnavailable(sandbox.url, exc) from exc
                if demo:
                    raise
                # A shop's till whose provider does not answer right now still opens as itself (not in demo mode
                # for the rest of the day): the counter says the provider does not answer and asks again.
                log.warning("the payment link could not be read at start: %s", exc)
                link_id = settings.payment_link_id
        controller = CheckoutController(
            prov,
            journal,
            link_id=link_id,
            currency=settings.currency,
            duration_s=settings.expires_in if duration_s is None else duration_s,
            poll_interval=settings.poll_interval if poll_interval is None else poll_interval,
            hub=hub,
        )
        runtime = Runtime(controller, prov, journal, settings, p, demo, link, sandbox, hub, lock=lock)
        opened.pop_all()  # from here on the runtime's aclose() closes them
        return runtime


def _real_provider(spec: ProviderSpec, s: settings_mod.Settings) -> PaymentProvider:
    """The configured provider, its credentials (``spec.secrets``) read from the OS keyring."""
    if not s.base_url:  # a store without one runs in demo mode (``_choose``); only ``demo=False`` gets here
        raise CannotStart(f"{settings_mod.unfinished_text(settings_mod.missing_setup(s))} (provider.base_url)")
    credentials: dict[str, str] = {}
    try:
        for key in spec.secrets:
            value = get_secret(spec.name, key)
            if value:
                credentials[key] = value
            elif key in spec.required_secrets:
                raise CannotStart(
                    _("no {name} for {provider} in the keyring: set the credentials in Settings").format(
                        name=key, provider=spec.name
                    )
                )
    except SecretsUnavailable as exc:
        raise CannotStart(str(exc)) from None
    try:
        options: dict[str, Any] = spec.client_options(s)
        if spec.notify_option and s.notify_public_url:  # each request names where the provider notifies
            options[spec.notify_option] = f"{s.notify_public_url.rstrip('/')}/{spec.name}"
        return spec.create(base_url=s.base_url, credentials=credentials, **options)
    except ValueError as exc:
        raise CannotStart(str(exc)) from None


async def _ensure_link(
    prov: PaymentProvider, journal: Journal, s: settings_mod.Settings, demo: bool, sandbox: SandboxHandle | None
) -> LinkInfo:
    """The counter's static payment link: the configured one, or in demo mode one made for this sandbox."""
    if not demo:
        if not s.payment_link_id:  # as above: only a till forced out of demo mode gets here without one
            raise CannotStart(_("setup is unfinished: the payment link (create it in Settings)"))
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


def _local_receiver(settings: settings_mod.Settings, name: str) -> str:
    from app.notifications.attach import receiver_url  # lazy: only a till that receives notifications

    return receiver_url(settings.notify_host, settings.notify_port, name)


async def _listen(runtime: Runtime) -> None:
    """Start the notification receiver on the runtime's hub; in demo mode point the sandbox's webhooks at it."""
    from app.notifications.attach import CannotListen, listen, register_demo  # lazy: only a receiving till

    s, hub = runtime.settings, runtime.hub
    assert isinstance(hub, NotificationHub)  # _assemble wraps the hub when a till receives
    try:
        runtime.listening = await listen(hub, s.notify_host, s.notify_port, runtime.paths.data_dir, demo=runtime.demo)
    except CannotListen as exc:
        runtime.notifications_problem = str(exc)
        return
    spec = BY_NAME[runtime.provider.name]
    if runtime.sandbox is not None and not spec.notify_option:
        url = _local_receiver(s, spec.name)
        await register_demo(runtime.sandbox.client, spec.name, url)
