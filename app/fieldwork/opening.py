"""Opening the field work's parts: the field book's file, the provider that does field work, and for the
GUI's field screen a whole ``FieldSession`` (book, tariffs, provider, lock) closed in one call.

Shared by ``tillqr bills …``/``tillqr sync`` (app/commands/bills_cli.py) and the field screen (app/ui), so
both find the same book (``data/fieldbook.sqlite3``; demo mode ``data/fieldbook-demo.sqlite3``) and pick the
provider by the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.config.paths import Paths
from app.i18n import _
from app.providers.base import Capability, PaymentProvider
from app.providers.registry import SPECS
from app.runtime import CannotStart, ProviderHandle, SandboxHandle, TillLock, open_provider
from app.storage.fieldbook import Fieldbook

from .service import FieldService
from .tariff_config import tariffs_for

#: What a provider needs for field work: the printed link, and the amount set once the meter is read.
FIELD_CAPABILITIES = Capability.STATIC_LINK | Capability.AMOUNT_UPDATE


def book_file(p: Paths, demo: bool) -> Path:
    return p.data_dir / ("fieldbook-demo.sqlite3" if demo else "fieldbook.sqlite3")


def lock_file(p: Paths, demo: bool) -> Path:
    """The lock the commands that reach the provider (import, sync) and the field screen hold."""
    return p.data_dir / ("field-demo.lock" if demo else "field.lock")


def field_provider(configured_name: str | None, demo: bool) -> str | None:
    """In demo mode, the first sandbox provider able to do field work; configured: the store's (checked)."""
    if demo:
        return next(s.name for s in SPECS if FIELD_CAPABILITIES in s.capabilities)
    spec = next((s for s in SPECS if s.name == configured_name), None)
    if spec is not None and FIELD_CAPABILITIES not in spec.capabilities:
        raise CannotStart(
            _(
                "{provider} cannot update a bill's amount after it is printed: field work needs a provider with "
                "static payment links and amount updates (J.P. Morgan)"
            ).format(provider=spec.label)
        )
    return configured_name


def home_of(p: Paths) -> Path | None:
    """The TILLQR_HOME-style folder ``p`` lives in (config/, data/, logs/ side by side), else None."""
    root = p.data_dir.parent
    return root if p.config_dir.parent == root and p.config_dir.name == "config" else None


@dataclass
class FieldSession:
    """The field screen's parts: its service, and what closing it closes (the provider only when opened here)."""

    service: FieldService
    book: Fieldbook
    demo: bool
    handle: ProviderHandle | None
    lock: TillLock | None

    async def aclose(self) -> None:
        try:
            if self.handle is not None:
                await self.handle.aclose()
            await self.book.aclose()
        finally:
            if self.lock is not None:
                self.lock.release()


async def open_session(
    p: Paths,
    *,
    demo: bool,
    configured_provider: str | None,
    lent: PaymentProvider | None = None,
    lent_sandbox: SandboxHandle | None = None,
) -> FieldSession:
    """The field book of ``p`` (demo's or the store's), the tariffs and the provider for field work.

    ``lent``: a provider already open in this process (the GUI's till); used when it is the one field work
    picks, so one process never runs two in-process demo sandboxes on one state file (the last writer would
    drop the other's links). Otherwise ``app.runtime.open_provider`` opens one, closed with the session.
    Raises ``TillBusy`` when a ``tillqr bills import``/``sync`` holds the field book, ``CannotStart`` or
    ``TariffError`` when the configuration cannot do field work."""
    tariffs = tariffs_for(p, demo)
    name = field_provider(configured_provider, demo)
    lock = TillLock(lock_file(p, demo))
    handle = None
    try:
        if lent is not None and lent.name == name and FIELD_CAPABILITIES in lent.capabilities:
            provider, sandbox = lent, lent_sandbox
        else:
            handle = await open_provider(demo=demo, home=home_of(p), provider=name)
            provider, sandbox = handle.provider, handle.sandbox
        book = Fieldbook(book_file(p, demo))
    except BaseException:
        if handle is not None:
            await handle.aclose()
        lock.release()
        raise
    service = FieldService(book, tariffs, provider, durable=sandbox.settled if sandbox else None)
    return FieldSession(service, book, demo, handle, lock)
