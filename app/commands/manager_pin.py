"""The manager PIN on the command line (``tillqr journal refund``), checked by the same PinGate as the GUI.

The PIN is read from the terminal without echo (``getpass``) or, for scripts, from the environment
variable ``TILLQR_MANAGER_PIN`` — never from an argument, which any user sees in ``ps``. A wrong PIN
counts toward the lock-out that the GUI counts in too (a file beside config.toml), so a script gains
nothing by starting a new process for each guess. With no PIN set, a refund is refused, except of
the demo journal with ``--demo`` (said on stderr).
"""

from __future__ import annotations

import getpass
import os
import sys

from app.checkout.refunds import RefundError
from app.config.pin import PinError, manager_gate
from app.config.settings import SettingsError
from app.i18n import _
from app.runtime import load_settings

from .cli_support import note

ENV = "TILLQR_MANAGER_PIN"


class PinRefused(RefundError):
    """The manager PIN was not given, or was wrong: nothing was done (exit 1)."""


def _typed() -> str:
    pin = os.environ.get(ENV)
    if pin is not None:
        return pin
    if not sys.stdin.isatty():
        raise PinRefused(
            _("the manager PIN is needed: run this in a terminal to type it, or give it in {variable}").format(
                variable=ENV
            )
        )
    try:
        return getpass.getpass(_("Manager PIN: "))
    except EOFError:
        raise PinRefused(_("no manager PIN was typed")) from None


def require_pin(*, demo: bool, demo_asked: bool, doing: str) -> None:
    """Returns once the manager PIN is right (or, with no PIN set, ``--demo`` on the demo journal);
    raises PinRefused in words otherwise. ``doing``: what is refused, e.g. "refund refused"."""
    try:
        p, settings = load_settings()
    except SettingsError as exc:
        raise PinRefused(
            _("{doing}: the manager PIN cannot be checked, {reason}").format(doing=doing, reason=exc)
        ) from None
    stored = settings.pin_hash if settings is not None else ""
    if not stored:
        if demo and demo_asked:
            note(_("demo mode: no manager PIN is set, so the demo journal is changed without one"))
            return
        if demo:
            raise PinRefused(
                _(
                    "{doing}: no manager PIN is set; set one in TillQR's Settings (or add --demo to use the demo "
                    "journal without one)"
                ).format(doing=doing)
            )
        raise PinRefused(_("{doing}: no manager PIN is set; set one in TillQR's Settings").format(doing=doing))
    gate = manager_gate(stored, p.config_file)
    try:
        gate.check(_typed())
    except PinError as exc:
        raise PinRefused(_("{doing}: {reason}").format(doing=doing, reason=exc)) from None
