"""The back office's state as a manager sees it (``tillqr backoffice status``, and the GUI's settings page:
Qt-free, the GUI only draws ``BackofficeStatus`` and ``status_lines``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.domain.jsontypes import JsonObject
from app.i18n import _, format_datetime, format_number
from app.replication.identity import DeviceIdentity
from app.replication.outbox import OutboxCounts

SKEW_FLAG_S = 120.0  # a clock more than 2 minutes off is shown, as the back office flags it


class BackofficeState(StrEnum):
    OFF = "off"  # no back office set ([backoffice] url empty, nothing registered)
    NOT_REGISTERED = "not_registered"  # a URL, but this machine has not registered with it
    NEVER_CONTACTED = "never_contacted"  # registered, no push yet
    CONNECTED = "connected"  # the last contact was answered
    UNREACHABLE = "unreachable"  # the last contact found no back office (nothing is lost: records wait)
    REFUSED = "refused"  # the back office refused this device's pushes (e.g. an unknown token): register again
    REVOKED = "revoked"  # the back office revoked this device; its customers' personal data was deleted


@dataclass(frozen=True)
class BackofficeStatus:
    state: BackofficeState
    url: str = ""
    device_id: str = ""
    waiting: int = 0  # records not yet acknowledged, every stream
    set_aside: int = 0  # refused or in conflict: kept, never sent again
    last_push: datetime | None = None  # the last batch the back office committed
    last_contact: datetime | None = None
    last_error: str = ""
    skew_s: float | None = None

    @property
    def skew_flagged(self) -> bool:
        return self.skew_s is not None and abs(self.skew_s) > SKEW_FLAG_S

    def to_json(self) -> JsonObject:
        return {
            "state": self.state.value,
            "url": self.url,
            "device_id": self.device_id,
            "waiting": self.waiting,
            "set_aside": self.set_aside,
            "last_push": self.last_push.isoformat() if self.last_push else None,
            "last_contact": self.last_contact.isoformat() if self.last_contact else None,
            "last_error": self.last_error,
            "skew_s": self.skew_s,
        }


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def backoffice_status(url: str, identity: DeviceIdentity | None, counts: Sequence[OutboxCounts]) -> BackofficeStatus:
    """The state from the setting's ``url`` ("" when none), the identity kept on disk and each outbox's counts."""
    waiting = sum(c.waiting for c in counts)
    aside = sum(c.set_aside for c in counts)
    if identity is None:
        state = BackofficeState.NOT_REGISTERED if url else BackofficeState.OFF
        return BackofficeStatus(state, url, waiting=waiting, set_aside=aside)
    contact = identity.contact
    if identity.revoked_at:
        state = BackofficeState.REVOKED
    elif not contact.at:
        state = BackofficeState.NEVER_CONTACTED
    elif not contact.answered:
        state = BackofficeState.UNREACHABLE
    elif contact.error:
        state = BackofficeState.REFUSED
    else:
        state = BackofficeState.CONNECTED
    acked = [c.last_acked_at for c in counts if c.last_acked_at is not None]
    return BackofficeStatus(
        state,
        identity.url,
        identity.device_id,
        waiting,
        aside,
        last_push=_when(contact.pushed_at) or (max(acked) if acked else None),
        last_contact=_when(contact.at),
        last_error=contact.error,
        skew_s=contact.skew_s,
    )


def state_text(state: BackofficeState) -> str:
    return {
        BackofficeState.OFF: _("no back office"),
        BackofficeState.NOT_REGISTERED: _("not registered (run `tillqr backoffice register`)"),
        BackofficeState.NEVER_CONTACTED: _("registered, nothing sent yet"),
        BackofficeState.CONNECTED: _("connected"),
        BackofficeState.UNREACHABLE: _("cannot be reached (nothing is lost: the records wait)"),
        BackofficeState.REFUSED: _("refuses this till's records"),
        BackofficeState.REVOKED: _("this device was revoked; its customers' personal data was deleted"),
    }[state]


def status_lines(s: BackofficeStatus) -> list[str]:
    """The status in words, one line each (a manager's view)."""
    lines = [_("Back office: {state}").format(state=state_text(s.state))]
    if s.url:
        lines.append(_("Address: {url}").format(url=s.url))
    if s.device_id:
        lines.append(_("Device: {device}").format(device=s.device_id))
    lines.append(_("Records waiting: {n}").format(n=format_number(s.waiting)))
    if s.set_aside:
        lines.append(_("Records set aside (refused or in conflict): {n}").format(n=format_number(s.set_aside)))
    lines.append(_("Last push: {when}").format(when=format_datetime(s.last_push) if s.last_push else _("never")))
    if s.last_error:
        lines.append(_("Last error: {error}").format(error=s.last_error))
    if s.skew_flagged and s.skew_s is not None:
        lines.append(
            _("This machine's clock is {seconds} s off the back office's: set it right").format(
                seconds=format_number(round(s.skew_s))
            )
        )
    return lines
