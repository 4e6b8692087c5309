"""``tillqr backoffice serve|migrate|enrol|revoke|manager|reconcile|close-day``: the back office service's commands (its arguments are
``backoffice_serve_args``). They need the ``backoffice`` extra (psycopg); without it they say how to add it."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from datetime import date

from app.commands.backoffice_serve_args import PASSWORD_ENV
from app.commands.cli_support import emit, err, say
from app.i18n import _, format_date
from app.runtime.errors import CannotStart

try:  # the service's extra: absent from a till's own install, where these commands only say how to add it
    import psycopg  # lazy: optional, this module being loaded only for these commands

    from app.backoffice import db, managers, migrate  # lazy: as above (they import psycopg)
except ModuleNotFoundError as missing:
    _MISSING: str | None = missing.name
else:
    _MISSING = None


def dispatch(args: argparse.Namespace) -> int:
    if _MISSING is not None:
        err(
            _("the back office needs its extra ({module} is missing): pip install 'tillqr[backoffice]'").format(
                module=_MISSING
            )
        )
        return 1
    dsn = db.dsn_from(args.dsn)
    if not dsn:
        err(_("no database given: --dsn, or TILLQR_BACKOFFICE_DSN"))
        return 1
    try:
        return _run(args, dsn)
    except psycopg.OperationalError as exc:
        err(_("cannot reach the back office's database: {reason}").format(reason=str(exc).strip().splitlines()[0]))
        return 1


def _run(args: argparse.Namespace, dsn: str) -> int:
    command = args.backoffice_command
    if command == "serve":
        from app.backoffice.serve import run  # lazy: the web stack only to serve

        try:
            run(dsn, args.host, args.port, banner=_("TillQR back office"), reconcile=args.reconcile, demo=args.demo)
        except CannotStart as exc:
            err(str(exc))
            return 1
        return 0
    if command == "migrate":
        applied = migrate.migrate(dsn)
        version = migrate.current_version(dsn)
        if args.json:
            emit({"version": version, "applied": [f"{m.version:04d}_{m.name}" for m in applied]})
        elif applied:
            say(_("schema brought to version {version}").format(version=version))
        else:
            say(_("schema already at version {version}").format(version=version))
        return 0
    if command == "enrol":
        migrate.migrate(dsn)
        enrolment = asyncio.run(_enrol(dsn, args.name, args.store, db.DeviceKind(args.kind)))
        until = enrolment.expires_at.isoformat(timespec="seconds")
        if args.json:
            emit({"code": enrolment.code, "expires_at": until})
        else:
            say(_("enrolment code: {code}").format(code=enrolment.code))
            say(_("valid once, until {time}; it is not shown again").format(time=until))
        return 0
    if command == "manager":
        return _add_manager(args, dsn)
    if command == "close-day":
        return _close_day(args, dsn)
    if command == "reconcile":
        from app.commands import reconcile_cli  # lazy: the providers' clients only to reconcile

        migrate.migrate(dsn)
        return reconcile_cli.run(args, dsn)
    revoked = asyncio.run(_revoke(dsn, args.device))
    if args.json:
        emit({"device_id": args.device, "revoked": revoked})
    elif revoked:
        say(_("device {device} revoked").format(device=args.device))
    if not revoked:
        err(_("no device {device}").format(device=args.device))
        return 1
    return 0


def _close_day(args: argparse.Namespace, dsn: str) -> int:
    try:
        day = date.fromisoformat(args.day) if args.day else date.today()
    except ValueError:
        err(_("{day} is not a day (YYYY-MM-DD)").format(day=args.day))
        return 1
    migrate.migrate(dsn)
    asyncio.run(_closing(dsn, args.store, day))
    if args.json:
        emit({"store": args.store, "day": day.isoformat(), "closed": True})
    else:
        say(
            _("{store}: {day} closed; its records that arrive later are marked late").format(
                store=args.store or "—", day=format_date(day)
            )
        )
    return 0


async def _closing(dsn: str, store: str, day: date) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await db.close_day(conn, store, day.isoformat(), by=getpass.getuser())


async def _enrol(dsn: str, name: str, store: str, kind: db.DeviceKind) -> db.Enrolment:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return await db.enrol(conn, name=name, store=store, kind=kind)


async def _revoke(dsn: str, device: str) -> bool:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return await db.revoke(conn, device)


def _password() -> str | None:
    """The new manager's password: $TILLQR_BACKOFFICE_PASSWORD, else typed twice; None when it cannot be had."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        err(_("no password: type it at a terminal, or set {env}").format(env=PASSWORD_ENV))
        return None
    first = getpass.getpass(_("Password: "))
    if getpass.getpass(_("The password again: ")) != first:
        err(_("the two passwords differ"))
        return None
    return first


def _add_manager(args: argparse.Namespace, dsn: str) -> int:
    password = _password()
    if password is None:
        return 1
    migrate.migrate(dsn)
    try:
        added = asyncio.run(_manager(dsn, args.name, password, args.replace))
    except managers.ManagerError as exc:
        err(str(exc))
        return 1
    if args.json:
        emit({"manager": args.name.strip(), "added": added})
    elif added:
        say(_("manager {name} added").format(name=args.name.strip()))
    else:
        say(_("manager {name}: new password set").format(name=args.name.strip()))
    return 0


async def _manager(dsn: str, name: str, password: str, replace: bool) -> bool:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return await managers.add_manager(conn, name, password, replace=replace)
