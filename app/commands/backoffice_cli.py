"""``tillqr backoffice register|status|push``: this machine's side of the back office from a terminal.

``register URL`` asks for the manager's PIN (app/commands/manager_pin.py; with none set, ``--demo`` registers the
demo journal's device without one) and the enrolment code, registers, and saves ``[backoffice] url`` in
config.toml (the shop's device). ``status`` says what the sender last saw; ``push`` sends what waits now, under
the sender's lock. Exit codes: 0 all acknowledged, 3 the back office cannot be reached (nothing lost), 4 some
records set aside (refused or in conflict, listed with their reasons), 1 an error (not registered, a refusal,
a revoked device).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys

from app.config import settings as settings_mod
from app.config.paths import Paths
from app.config.secrets import SecretsUnavailable
from app.config.settings import Settings, SettingsError, is_configured
from app.i18n import _, ngettext
from app.replication.identity import RegistrationError, identity_file, load_identity, register
from app.replication.outbox import Outbox, open_outboxes
from app.replication.sender import PushReport, Sender, SenderBusy, hold_sender_lock, sender_lock_file
from app.replication.status import backoffice_status, status_lines
from app.runtime import load_settings
from app.urlcheck import UnsafeUrl

from .backoffice_args import CODE_ENV
from .cli_support import demo_flag, emit, err, note, say
from .manager_pin import PinRefused, require_pin

EXIT_UNREACHABLE = 3
EXIT_SET_ASIDE = 4


def dispatch(args) -> int:
    try:
        p, configured = load_settings()
    except SettingsError as exc:
        err(str(exc))
        return 1
    demo = bool(demo_flag(args)) or not is_configured(configured)
    command = args.backoffice_command
    try:
        if command == "register":
            return asyncio.run(_register(args, p, configured, demo))
        if command == "status":
            return asyncio.run(_status(args, p, configured, demo))
        return asyncio.run(_push(args, p, demo))
    except (PinRefused, RegistrationError, UnsafeUrl, SecretsUnavailable, SenderBusy, SettingsError) as exc:
        err(str(exc))
        return 1


def _code(args) -> str:
    code = args.code or os.environ.get(CODE_ENV, "")
    if not code and sys.stdin.isatty():
        code = input(_("Enrolment code: "))
    if not code.strip():
        raise RegistrationError(
            _("the enrolment code is needed: give it with --code or in {variable}").format(variable=CODE_ENV)
        )
    return code


async def _register(args, p: Paths, configured: Settings | None, demo: bool) -> int:
    require_pin(demo=demo, demo_asked=bool(demo_flag(args)), doing=_("registration refused"))
    identity = await register(args.url, _code(args), data_dir=p.data_dir, demo=demo, kind=args.kind, name=args.name)
    if not demo and configured is not None and configured.backoffice_url != identity.url:
        settings_mod.save(dataclasses.replace(configured, backoffice_url=identity.url), p.config_file)
    if args.json:
        emit({"device_id": identity.device_id, "url": identity.url, "demo": demo})
    else:
        say(_("registered with {url} as device {device}").format(url=identity.url, device=identity.device_id))
    return 0


async def _closed(outboxes: list[Outbox]) -> None:
    for o in outboxes:
        await o.db.aclose()


async def _status(args, p: Paths, configured: Settings | None, demo: bool) -> int:
    identity = load_identity(identity_file(p.data_dir, demo))
    outboxes = open_outboxes(p.data_dir, demo)
    try:
        counts = [await o.counts() for o in outboxes]
    finally:
        await _closed(outboxes)
    url = "" if demo or configured is None else configured.backoffice_url
    status = backoffice_status(url, identity, counts)
    if args.json:
        emit(status.to_json())
    else:
        for line in status_lines(status):
            say(line)
    return 0


async def _push(args, p: Paths, demo: bool) -> int:
    path = identity_file(p.data_dir, demo)
    identity = load_identity(path)
    if identity is None:
        err(_("this machine is not registered with a back office: run `tillqr backoffice register URL` first"))
        return 1
    token = identity.token()
    if not token:
        err(_("the device token is not in the keyring: register this machine again"))
        return 1
    lock = hold_sender_lock(sender_lock_file(p.data_dir, demo))
    outboxes = open_outboxes(p.data_dir, demo)
    sender = Sender(identity, path, outboxes, token=token)
    try:
        report = await sender.push()
    finally:
        await sender.aclose()
        await _closed(outboxes)
        lock.close()
    _say_report(report, as_json=args.json)
    if report.revoked or (report.error and not report.unreachable):
        return 1
    if report.unreachable:
        return EXIT_UNREACHABLE
    return EXIT_SET_ASIDE if report.set_aside else 0


def _say_report(r: PushReport, *, as_json: bool) -> None:
    if as_json:
        emit(dataclasses.asdict(r))
        return
    say(
        ngettext("{n} record sent", "{n} records sent", r.sent).format(n=r.sent)
        + "; "
        + _("{accepted} accepted, {duplicates} already there, {aside} set aside, {waiting} still waiting").format(
            accepted=r.accepted, duplicates=r.duplicates, aside=r.set_aside, waiting=r.waiting
        )
    )
    for reason in r.reasons:
        say("  " + _("set aside: {reason}").format(reason=reason))
    if r.error:
        note(r.error)
