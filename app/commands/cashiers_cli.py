"""``tillqr cashiers list|add NAME|pin NAME|rename NAME NEW|deactivate NAME``: the till's cashiers from a terminal.

Cashiers live in the journal (app.storage.cashiers): the shop's, or with ``--demo`` (or while setup is
unfinished) the demo journal's. ``list`` shows names, whether each is active and since when (no PINs, nothing
secret: as ``journal list`` shows their names on sales); every change is behind the manager PIN
(app/commands/manager_pin.py, the same lock-out as the GUI's). A cashier's new PIN is typed twice without echo,
or for scripts given in ``TILLQR_CASHIER_PIN`` — never as an argument, which any user sees in ``ps``.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from argparse import Namespace

from app.config.pin import CASHIER_DIGITS, PinError
from app.config.settings import SettingsError
from app.i18n import _, format_date, pgettext
from app.storage.cashiers import Cashier, CashierError, Cashiers
from app.storage.journal import JournalError

from .cli_support import demo_flag, emit, err, note, say
from .journal_cli import journal_of
from .manager_pin import PinRefused, require_pin

ENV = "TILLQR_CASHIER_PIN"  # as app.__main__ says in its help


def _digits() -> str:
    return _("{low} to {high} digits").format(low=CASHIER_DIGITS[0], high=CASHIER_DIGITS[1])


def dispatch(args: Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except (CashierError, PinError, PinRefused, SettingsError, JournalError) as exc:
        err(str(exc))
        return 1


async def _run(args: Namespace) -> int:
    journal, demo = await journal_of(args, demo_flag=demo_flag(args), lenient=args.cashiers_command == "list")
    if demo:
        note(_("demo mode: the demo journal's cashiers"))
    store = Cashiers(journal)
    try:
        command = args.cashiers_command
        if command == "list":
            return _list(await store.roster(everyone=True), as_json=args.json)
        if command != "add":
            await store.named(args.name)  # an unknown name is said before the PIN is asked
        require_pin(demo=demo, demo_asked=bool(demo_flag(args)), doing=_("{command} refused").format(command=command))
        if command == "add":
            done = await store.add(args.name, _new_pin(args.name))
            say(_("cashier {name} added; they sign in at the counter with their PIN").format(name=done.name))
        elif command == "pin":
            cashier = await store.named(args.name)
            await store.set_pin(cashier.id, _new_pin(cashier.name))
            say(_("{name} has a new PIN").format(name=cashier.name))
        elif command == "rename":
            cashier = await store.named(args.name)
            done = await store.rename(cashier.id, args.new_name)
            say(
                _("{name} is now {new_name} (earlier sales keep the name they had)").format(
                    name=cashier.name, new_name=done.name
                )
            )
        else:
            done = await store.deactivate((await store.named(args.name)).id)
            say(_("{name} can no longer sign in; their sales keep their name").format(name=done.name))
        return 0
    finally:
        await journal.aclose()


def _list(cashiers: list[Cashier], *, as_json: bool) -> int:
    for c in cashiers:
        if as_json:
            emit({"id": c.id, "name": c.name, "active": c.active, "created_at": c.created_at.isoformat()})
        else:
            state = pgettext("cashier", "active") if c.active else pgettext("cashier", "inactive")
            since = _("since {date}").format(date=format_date(c.created_at.astimezone().date()))
            say(f"{c.id:>4}  {c.name:<24} {state:<9} {since}")
    if not cashiers and not as_json:
        note(_("no cashiers: the counter asks nobody to sign in (add one with `tillqr cashiers add NAME`)"))
    return 0


def _new_pin(name: str) -> str:
    """The new PIN: from ``TILLQR_CASHIER_PIN``, or typed twice in a terminal without echo."""
    given = os.environ.get(ENV)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise PinRefused(
            _("{name}'s PIN is needed: run this in a terminal to type it, or give it in {variable}").format(
                name=name, variable=ENV
            )
        )
    try:
        first = getpass.getpass(_("{name}'s PIN ({digits}): ").format(name=name, digits=_digits()))
        again = getpass.getpass(_("The same PIN again: "))
    except EOFError:
        raise PinRefused(_("no PIN was typed")) from None
    if first != again:
        raise PinRefused(_("the two PINs differ; nothing was changed"))
    return first
