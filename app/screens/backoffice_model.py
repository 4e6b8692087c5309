"""The back office as the manager sees it on the till (Qt-free): one line on the Journal screen, a box in Settings.

``BackofficeModel`` holds the state (``app.replication.status.BackofficeStatus``: connected, records waiting, set
aside, last push, skew), read again after each commit to the journal and after each push of the background
sender (``app.replication.background.TillSender``). ``push_now`` wakes the sender and waits for its report;
``register(url, code)`` registers this machine (the manager's PIN was asked by Settings), saves ``[backoffice]
url`` (the shop's till) and starts the sender. The counter never waits on any of it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

from app.config import settings as settings_mod
from app.i18n import _, format_datetime, format_number, lazy_, ngettext
from app.replication.background import TillSender, open_till_sender
from app.replication.identity import RegistrationError, identity_file, load_identity, register
from app.replication.outbox import Outbox
from app.replication.sender import PushReport
from app.replication.status import BackofficeState, BackofficeStatus, backoffice_status, state_text
from app.replication.wire import Stream
from app.storage.journal import Journal
from app.urlcheck import UnsafeUrl

from .observed import Listeners
from .operations import Busy, Level, Operations, Words

PUSH_WORDS = Words(lazy_("Not sent"))
REGISTER_WORDS = Words(lazy_("Not registered"), expected=(RegistrationError, UnsafeUrl))


class BackofficeModel:
    """The back office's state for the manager, on ``journal`` (the runtime's) in ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        journal: Journal,
        *,
        demo: bool,
        url: str = "",
        config_file: Path | None = None,
        opener: Callable[[str], TillSender | None] | None = None,
    ) -> None:
        """``url``: the saved ``[backoffice] url``; ``opener(url)``: the background sender for it (default:
        ``open_till_sender`` with the real clock and policies; tests pass quicker ones)."""
        self.data_dir = data_dir
        self.journal = journal
        self.demo = demo
        self.url = url
        self.config_file = config_file
        self.opener = opener or (lambda u: open_till_sender(data_dir, demo, u, journal))
        self.sender: TillSender | None = None
        self.status = BackofficeStatus(BackofficeState.OFF)
        self.message = ""
        self.message_level: str = Level.INFO
        self.registered: Callable[[str], None] | None = None  # told the URL saved by ``register`` (Settings' form)
        self.ops = Operations(self)
        self._listeners = Listeners()
        self._refresh: asyncio.Task[None] | None = None
        self._again = False

    # -- the screen protocol -----------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def changed(self) -> None:
        self._listeners()

    # -- life ----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Opens and starts the background sender when this machine should send, and reads the state."""
        if self.sender is None:
            try:
                self.sender = self.opener(self.url)
            except Exception as exc:  # noqa: BLE001 - a keyring or field book that cannot be read: said, never fatal
                self.message, self.message_level = str(exc), Level.WARNING
            if self.sender is not None:
                self.sender.on_change(self.refresh_soon)
                self.sender.start()
        self.refresh_soon()

    async def aclose(self) -> None:
        self.ops.close()
        if self._refresh is not None:
            self._refresh.cancel()
        if self.sender is not None:
            await self.sender.aclose()
            self.sender = None

    # -- the state -----------------------------------------------------------------------------------
    def refresh_soon(self) -> None:
        """The state read again in a held task (one at a time; a request meanwhile reads once more after)."""
        if self._refresh is not None and not self._refresh.done():
            self._again = True
            return
        self._refresh = asyncio.get_running_loop().create_task(self.refresh())

    async def refresh(self) -> None:
        while True:
            self._again = False
            outboxes = self.sender.sender.outboxes if self.sender else [Outbox(self.journal, Stream.JOURNAL)]
            counts = [await o.counts() for o in outboxes]
            identity = load_identity(identity_file(self.data_dir, self.demo))
            self.status = backoffice_status("" if self.demo else self.url, identity, counts)
            self.changed()
            if not self._again:
                return

    @property
    def can_push(self) -> bool:
        return self.sender is not None and self.ops.busy is None

    @property
    def can_register(self) -> bool:
        return self.ops.busy is None and self.status.state is not BackofficeState.REVOKED

    @property
    def line(self) -> str:
        """The Journal screen's one line ("": no back office, nothing to show)."""
        s = self.status
        if s.state is BackofficeState.OFF:
            return ""
        parts = [_("Back office: {state}").format(state=state_text(s.state))]
        if s.waiting:
            parts.append(
                ngettext("{n} record waiting", "{n} records waiting", s.waiting).format(n=format_number(s.waiting))
            )
        if s.set_aside:
            parts.append(
                ngettext("{n} record set aside", "{n} records set aside", s.set_aside).format(
                    n=format_number(s.set_aside)
                )
            )
        if s.last_push is not None:
            parts.append(_("last push {when}").format(when=format_datetime(s.last_push)))
        if s.skew_flagged and s.skew_s is not None:
            parts.append(_("clock {seconds} s off").format(seconds=format_number(round(s.skew_s))))
        return " · ".join(parts)

    @property
    def line_level(self) -> Level:
        s = self.status
        if s.state in (BackofficeState.REFUSED, BackofficeState.REVOKED) or s.skew_flagged:
            return Level.ERROR
        if s.state is BackofficeState.UNREACHABLE or s.set_aside:
            return Level.WARNING
        return Level.INFO

    # -- what the manager does -----------------------------------------------------------------------
    async def push_now(self) -> PushReport | None:
        sender = self.sender
        if sender is None:
            return None
        outcome = await self.ops.run(Busy.PUSH, sender.push_now(), PUSH_WORDS, doing=_("Sending to the back office…"))
        report = outcome.value
        if report is not None:
            self.message, self.message_level = _report_words(report)
            await self.refresh()
        return report

    async def register(self, url: str, code: str, name: str = "") -> bool:
        """Registers with the back office at ``url`` with the enrolment ``code``; True when it is done."""
        outcome = await self.ops.run(
            Busy.REGISTER, self._register(url, code, name), REGISTER_WORDS, doing=_("Registering…")
        )
        if outcome.ok:
            self.message, self.message_level = _("Registered with the back office."), Level.INFO
            self.changed()
        return outcome.ok

    async def _register(self, url: str, code: str, name: str) -> None:
        if not code.strip():
            raise RegistrationError(_("the enrolment code is needed"))
        identity = await register(url.strip(), code, data_dir=self.data_dir, demo=self.demo, name=name)
        if not self.demo and self.config_file is not None:
            current = settings_mod.load(self.config_file)
            if current is not None and current.backoffice_url != identity.url:
                settings_mod.save(dataclasses.replace(current, backoffice_url=identity.url), self.config_file)
            if self.registered is not None:
                self.registered(identity.url)
        self.url = identity.url
        if self.sender is not None:  # registered again (a new device): the old sender goes
            await self.sender.aclose()
            self.sender = None
        self.start()


def _report_words(r: PushReport) -> tuple[str, Level]:
    if r.revoked:
        return _("The back office revoked this till; its customers' personal data was deleted."), Level.ERROR
    if r.error:
        return _("Not sent: {reason}").format(reason=r.error), Level.WARNING if r.unreachable else Level.ERROR
    text = ngettext("{n} record sent", "{n} records sent", r.sent).format(n=format_number(r.sent))
    if r.set_aside:
        text += "; " + ngettext("{n} set aside", "{n} set aside", r.set_aside).format(n=format_number(r.set_aside))
    return text + ".", Level.WARNING if r.set_aside else Level.INFO
