"""``tillqr self-test``: is this installation able to run a till? (smoke test for packaged builds)

Checks, each printed as PASS / WARN / FAIL with a reason:
imports, the Qt platform plugin, SQLite (the journal mode and synchronous level it really gives, read back
in the data folder), the keyring backend in force and whether it keeps secrets across a restart
(WARN when it does not: demo mode needs none, a configured till does; FAIL when ``TILLQR_KEYRING`` names one that
cannot be opened), a QR round trip
(payload → segno matrix → painted by Qt → decoded by zxing-cpp), and one sale
through the in-process sandbox. Exit 0 when nothing FAILed.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.i18n import _, ngettext

Check = Callable[[], str]


def _imports() -> str:
    import httpx  # noqa: F401 - lazy: self-test, importing it is the check
    import qasync  # noqa: F401 - lazy: self-test, importing it is the check
    import segno  # noqa: F401 - lazy: self-test, importing it is the check
    import starlette  # noqa: F401 - lazy: self-test, importing it is the check
    from PIL import Image  # noqa: F401 - lazy: self-test, Pillow reads the QR images some providers serve

    import app.checkout.controller  # lazy: self-test: importing it is the check
    import app.sandbox.server  # noqa: F401 - lazy: self-test, importing it is the check
    from app.providers.registry import SPECS  # lazy: self-test: importing it is the check

    for spec in SPECS:  # demo mode's simulators are imported by name: a build must still hold them
        importlib.import_module(spec.sandbox_module)
    return f"python {sys.version.split()[0]}, providers {', '.join(spec.name for spec in SPECS)}"


def _qt() -> str:
    from app.ui.selfcheck import qt_info  # lazy: self-test: importing it is the check

    return qt_info()


def _qt_refcounts() -> str:
    from app.ui.selfcheck import qt_refcounts  # lazy: self-test: importing it is the check

    return qt_refcounts()


def _sqlite() -> str:
    """A journal written and read back in TillQR's own data folder (its filesystem is the one that counts),
    and the journal mode and synchronous level SQLite really gives it there, read back."""
    from app.config.paths import paths  # lazy: self-test: importing it is the check
    from app.storage.journal import Journal  # lazy: self-test: importing it is the check

    try:
        where = _("in the data folder")
        scratch = tempfile.TemporaryDirectory(prefix="self-test-", dir=paths().ensure().data_dir)
    except OSError as exc:
        where = _("in {folder} (the data folder: {reason})").format(folder=tempfile.gettempdir(), reason=exc.strerror)
        scratch = tempfile.TemporaryDirectory(prefix="tillqr-self-test-")
    with scratch as tmp:

        async def run() -> str:
            from app.domain.money import Money  # lazy: self-test: importing it is the check
            from app.domain.sale import Sale  # lazy: self-test: importing it is the check

            j = Journal(Path(tmp) / "t.sqlite3")
            try:
                sale = Sale.new(Money.parse("1.00", "BRL"), "self-test")
                await j.record(sale, "created")
                back = await j.get(sale.sale_id)
                version = await j.schema_version()
                durability = await j.durability()
            finally:
                await j.aclose()
            if back != sale:
                raise AssertionError(_("the journal did not read back what it wrote"))
            return _("schema v{version}, {durability} (read back, {where})").format(
                version=version, durability=durability, where=where
            )

        return asyncio.run(run())


def _keyring() -> str:
    from app.config.secrets import (  # lazy: self-test: importing it is the check
        BACKEND_ENV,
        HOW_TO,
        SecretsUnavailable,
        backend_info,
    )

    try:
        info = backend_info()
    except SecretsUnavailable as exc:  # a keyring was chosen (TILLQR_KEYRING) and cannot be opened
        if os.environ.get(BACKEND_ENV):
            raise
        raise Warning(_("{reason}; keeps secrets across a restart: no").format(reason=exc)) from None
    if not info.keeps_secrets:  # demo mode needs none; the manager PIN then keeps its plain scrypt hash
        raise Warning(
            _("{backend}; keeps secrets across a restart: no (a configured till needs one: {how})").format(
                backend=info.name, how=HOW_TO
            )
        )
    return _("{backend}; keeps secrets across a restart: yes").format(backend=info.name)


def _qr() -> str:
    from app.ui.selfcheck import qr_round_trip  # lazy: self-test: importing it is the check

    return qr_round_trip()


def _receipts() -> str:
    from app.receipts.escpos_out import escpos_bytes  # lazy: self-test: loading the ESC/POS driver is the check

    data = escpos_bytes(["TillQR self-test", "Not a fiscal document"])
    if not data.startswith(b"\x1b@") or b"TillQR self-test" not in data:
        raise AssertionError(_("the ESC/POS bytes of a receipt are not what a printer takes"))
    return _("ESC/POS driver loaded, a receipt of {n} bytes").format(n=len(data))


def _sandbox_sale() -> str:
    from app.runtime import open_runtime  # lazy: self-test: importing it is the check

    with tempfile.TemporaryDirectory() as tmp:

        async def run() -> str:
            rt = await open_runtime(demo=True, home=Path(tmp), poll_interval=0.2)
            try:
                sale = await rt.controller.charge("1.00", "self-test")
                payload = rt.link.payload if rt.link else sale.payload
                assert rt.sandbox is not None and payload is not None  # demo mode: a linked sale has both
                await rt.sandbox.pay(payload)
                closed = await rt.controller.wait_closed(sale.sale_id, timeout=15)
            finally:
                await rt.aclose()
            if closed.status.value != "settled" or not closed.unlinked:
                raise AssertionError(
                    _("the sale ended {status}, unlinked={unlinked}").format(
                        status=closed.status.value, unlinked=closed.unlinked
                    )
                )
            return "charge → link → pay → settled → unlinked"

        return asyncio.run(run())


CHECKS: list[tuple[str, Check]] = [
    ("imports", _imports),
    ("qt", _qt),
    ("qt refcounts", _qt_refcounts),
    ("sqlite", _sqlite),
    ("keyring", _keyring),
    ("qr round trip", _qr),
    ("receipts", _receipts),
    ("sandbox sale", _sandbox_sale),
]


def self_test() -> int:
    failed = 0
    for name, check in CHECKS:
        try:
            detail, verdict = check(), "PASS"
        except Warning as exc:
            detail, verdict = str(exc), "WARN"
        except Exception as exc:  # noqa: BLE001 - a self-test reports every failure in words
            ours = type(exc).__module__.startswith("app.")  # TillQR's own errors are words already
            detail, verdict = (str(exc) if ours else f"{type(exc).__name__}: {exc}"), "FAIL"
            failed += 1
        print(f"{verdict:<5} {name:<14} {detail}", flush=True)
    if failed:
        print(ngettext("self-test: {n} check failed", "self-test: {n} checks failed", failed).format(n=failed))
    else:
        print(_("self-test: all checks passed"))
    return 0 if not failed else 1
