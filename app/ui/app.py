"""The GUI's entry: QApplication, the qasync loop (the Qt loop *is* the asyncio loop), the runtime.

``compose`` builds the window from a Runtime (used by run_gui, the tests and the
screenshot script): the counter (home), the Journal and the Settings pages, the last two behind
the manager PIN. ``run_gui`` owns the process: it shows the window at once, reconciles unfinished
sales (``recover``) in the background, and closes the runtime when the window closes.

A configuration that cannot be used never stops the app: when ``open_runtime`` raises
``SettingsError`` (a broken config.toml) or ``CannotStart`` (e.g. no credentials yet), the
counter starts in demo mode (marked DEMO, in a throw-away folder so no demo sale mixes with the
shop's journal) and the Settings page opens with the problem named — without the PIN when none
is readable. After Save, "Restart now" closes the runtime and the window and opens both again
on the saved configuration (a restart loop in ``_main``).

When the till cannot start at all (another TillQR holds it, an unknown ``--provider``, the demo
sandbox at TILLQR_SANDBOX_URL down), ``run_gui`` says why in one line on stderr (the traceback goes
to the log file only) and exits 1; the message box follows only after the asyncio loop has ended
(a modal box inside the running task would re-enter the loop's other tasks) and only where someone
can click it (not offscreen, not with TILLQR_EXIT_WHEN_READY).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app import runtime as till_runtime
from app.config.paths import paths
from app.config.settings import DisplayMode, SettingsError
from app.i18n import _, lazy_
from app.providers.base import ProviderError
from app.providers.registry import PROVIDERS
from app.runtime import CannotStart, JournalUnusable, SandboxUnavailable, TillBusy
from app.screens.backoffice_model import BackofficeModel
from app.screens.counter_model import CounterModel
from app.screens.counter_standing import watch_provider
from app.screens.counter_words import Standing, setup_unfinished
from app.screens.kiosk_model import kiosk_configured
from app.screens.last_sales_model import cashier_first
from app.screens.settings_model import SettingsModel
from app.storage.cashiers import Cashiers
from app.watchdog import Watchdog

from . import backoffice_view, cashier_view, qss
from .bridge import EventBridge
from .counter import CounterView
from .customer_display import CustomerDisplay
from .fonts import apply_app_font
from .main_window import MainWindow
from .qt_translations import install_qt_translations
from .qtloop import TillEventLoop
from .till_parts import (
    backoffice_for,
    build_field_page,
    build_journal_page,
    counter_extras,
    customer_display,
    receipt_desk,
)

log = logging.getLogger("tillqr.ui")

STYLE = qss.STYLE


def apply_style(app: QApplication, look: qss.Look | None = None) -> None:
    """The bundled fonts as the application's font and the style sheet, at ``look``'s contrast and text scale
    (default: the normal look)."""
    look = look or qss.Look()
    apply_app_font(app, look.text_scale)
    try:
        app.setStyleSheet(qss.sheet(look))
    except OSError:
        log.warning("style sheet %s not found; using Qt's default look", STYLE)


def compose(
    runtime: Any,
    *,
    config_file: Path | None = None,
    problem: str | None = None,
    pages_on_demand: bool = False,
    on_restart: Callable[[], None] | None = None,
    field: bool = False,
    kiosk: bool = False,
    touch_dpi: float | None = None,
    display: DisplayMode | None = None,
    backoffice: BackofficeModel | None = None,
) -> MainWindow:
    """The main window for ``runtime``: bridge → models → views, each handed what it needs (the
    bridge is the one route of the controller's events to the models: app/ui/bridge.py).

    ``config_file``: the configuration the Settings page edits (default: the runtime's);
    ``problem``: why it could not be used — the Settings page then opens at once, showing it;
    ``pages_on_demand``: the Journal and Settings pages (behind the PIN) are built when first opened,
    not before the counter is shown (the Field page always is: it opens its field book then); ``on_restart``: called when Settings asks for a restart;
    ``field``: open on the Field page (``tillqr --field``), the field agent's mode; ``kiosk``: kiosk mode
    (full screen once ``show_on_screen``, the manager's PIN to leave); ``touch_dpi``: the density buttons
    are sized for (default: the screen's); ``display``: where the customer display goes (default: the
    settings' [display] mode; placed by ``show_fitted``); ``backoffice``: the back office's model (default: one on
    the runtime's journal, its background sender started when the till is registered: app/ui/till_parts.py)."""
    controller = runtime.controller
    bridge = EventBridge(controller)
    model = CounterModel(
        controller,
        demo=runtime.demo,
        sandbox=runtime.sandbox,
        link_payload=runtime.link.payload if runtime.link else None,
    )
    bridge.follow(model.on_event)
    unfinished = getattr(runtime, "unfinished", ())
    if unfinished:  # a half-configured store: a demo till, said in words above the banner
        model.set_standing(Standing.SETUP, setup_unfinished([m.words for m in unfinished]))
    view = CounterView(model)
    view.set_receipts(receipt_desk(runtime))
    last_sales = counter_extras(runtime, model, view)
    config_file = config_file or (runtime.paths.config_file if getattr(runtime, "paths", None) else None)
    settings_model = SettingsModel(config_file, problem=problem) if config_file else None
    if settings_model is not None and runtime.demo:
        settings_model.demo_link = getattr(runtime, "link", None)  # the demo's sticker: the sandbox's counter link
    gate = settings_model.gate if settings_model else None  # one PinGate: its lock-out counts every wrong PIN
    window = MainWindow(
        view,
        store_name=runtime.store_name,
        demo=runtime.demo,
        mode_text=getattr(runtime, "mode_text", ""),
        gate=gate,
        kiosk=kiosk,
        touch_dpi=touch_dpi,
    )
    window.settings = None
    journal = getattr(runtime, "journal", None)  # cashiers by name: kept in the journal (none in a bare runtime)
    cashiers = (
        cashier_view.attach(window, Cashiers(journal), controller, settings=settings_model is not None)
        if journal is not None
        else None
    )
    if cashiers is not None and last_sales is not None and journal is not None:  # the signed-in cashier's last sales
        last_sales.fetch = cashier_first(cashiers.model, journal)
    backoffice = backoffice or backoffice_for(runtime, config_file)
    if backoffice is not None:
        window.closers.append(backoffice.aclose)
        if settings_model is not None:  # the URL Register saves is the form's too: Save keeps it
            backoffice.registered = partial(settings_model.values.__setitem__, "backoffice.url")
    if settings_model is not None:  # a bare runtime (tests of the counter alone) has no files to edit

        def journal_page() -> QWidget:
            return build_journal_page(runtime, window.gate, bridge, backoffice)

        def settings_page() -> QWidget:
            from app.ui.settings_view import SettingsView  # lazy: built when Settings is first opened

            window.settings = SettingsView(settings_model)
            if cashiers is not None and cashiers.admin is not None:
                cashier_view.settings_box(window.settings.form_column, cashiers.admin)
            if backoffice is not None:
                backoffice_view.settings_box(window.settings.form_column, backoffice)
            if on_restart is not None:
                window.settings.restart_requested.connect(on_restart)
            return window.settings

        def field_page() -> QWidget:
            return build_field_page(runtime, window)

        eager = not pages_on_demand
        window.add_page(
            "journal", lazy_("Journal"), journal_page() if eager else journal_page, guarded=True, needs_pin=True
        )
        window.add_page("settings", lazy_("Settings"), settings_page() if eager else settings_page, guarded=True)
        window.add_page("field", lazy_("Field"), field_page)  # the agent's mode (no PIN); always opened on demand
    customer_display(runtime, bridge, window, display)
    bridge.setParent(window)
    window.closed.connect(bridge.close)
    if settings_model is not None and settings_model.problem:
        if settings_model.gate.configured:
            window.ask_pin(
                lambda: window.show_page("settings"),
                purpose=_("The configuration needs fixing: manager PIN to open Settings"),
            )
        else:
            window.show_page("settings")
    elif field and "field" in window.nav:
        window.show_page("field")
    return window


def show_fitted(window: MainWindow) -> None:
    """Full screen in kiosk mode; else 1280×800 where it fits, maximised on a smaller screen (800×480); then
    the customer display on its screen (app/ui/customer_display.py)."""
    window.show_on_screen()
    if isinstance(window.customer_display, CustomerDisplay):
        window.customer_display.place_now()


async def open_or_fallback(
    *, demo: bool | None, provider: str | None, home: Path | None = None, **kw: Any
) -> tuple[Any, str | None]:
    """(runtime, problem): the configured runtime, or with a configuration that cannot be
    used, a demo runtime (its own demo journal in the real data folder, config.toml not read) and
    the problem in words (named key included).

    What demo mode cannot get round is raised at once, not retried in demo mode: an unknown
    ``provider`` (a typo on the command line), another TillQR holding the till (``TillBusy``) and a
    demo sandbox that does not answer (``SandboxUnavailable``). When the demo fallback fails too,
    its error is raised with the configuration's problem added."""

    if provider is not None and provider not in PROVIDERS:
        raise CannotStart(
            _("unknown provider {name}: choose one of {choices}").format(
                name=repr(provider), choices=", ".join(PROVIDERS)
            )
        )
    try:
        return await till_runtime.open_runtime(demo=demo, provider=provider, home=home, **kw), None
    except (TillBusy, SandboxUnavailable, JournalUnusable):
        raise  # another TillQR holds the till / the demo sandbox is down / the journal is damaged: demo cannot help
    except (SettingsError, CannotStart) as exc:
        problem = str(exc)
    except ProviderError as exc:  # refusing at boot (keys, link): Settings must still be reachable; an
        # unreachable provider does not come here: the shop's till opens and its counter says so
        problem = _("the provider could not be used at start: {reason}").format(reason=exc)
    log.info("configuration cannot be used (%s): demo mode and Settings", problem)
    try:
        runtime = await till_runtime.open_runtime(demo=True, provider=provider, home=home, ignore_config=True, **kw)
    except (CannotStart, ProviderError) as exc:  # demo mode cannot start either: say both
        raise CannotStart(
            _("{error}; and the configuration cannot be used: {problem}").format(error=exc, problem=problem)
        ) from exc
    return runtime, problem


def _resolve(fut: asyncio.Future[str], value: str) -> None:
    if not fut.done():
        fut.set_result(value)


class StartupFailed(Exception):
    """The till could not start; ``str()`` is the one line said on stderr and in the message box."""


def _expected_failures() -> tuple[type[BaseException], ...]:

    return (CannotStart, SettingsError, ProviderError, OSError)


def _startup_failure(exc: BaseException) -> StartupFailed:
    """One line for ``exc``; the traceback goes to the log file only (the console shows WARNING and up)."""
    if isinstance(exc, _expected_failures()):
        log.info("cannot start: %s", exc, exc_info=True)
        return StartupFailed(str(exc))
    log.info("cannot start (unexpected %s)", type(exc).__name__, exc_info=True)

    return StartupFailed(
        _("{error}: {reason} (details in {log})").format(
            error=type(exc).__name__, reason=exc, log=paths().log_dir / "tillqr.log"
        )
    )


async def _main(
    app: QApplication,
    *,
    demo: bool | None,
    provider: str | None,
    field: bool = False,
    kiosk: bool = False,
    display: DisplayMode | None = None,
) -> int:
    """Runs the till until its window closes; a start-up failure is raised as ``StartupFailed``
    (never shown here: a modal box would run a nested event loop inside this very task)."""

    watchdog = Watchdog.from_environ()  # systemd's (packaging/tillqr.service); does nothing without it
    while True:
        try:
            runtime, problem = await open_or_fallback(demo=demo, provider=provider, receive=True)
        except Exception as exc:  # noqa: BLE001 - said in one line by run_gui, after the loop has ended
            raise _startup_failure(exc) from None
        if problem:
            print(
                _("tillqr: the configuration cannot be used: {problem} (demo mode; fix it in Settings)").format(
                    problem=problem
                ),
                file=sys.stderr,
            )
        if runtime.notifications_problem:  # the till runs on, polling: notifications only wake it sooner
            print(
                _("tillqr: {problem}; sales are followed by polling").format(problem=runtime.notifications_problem),
                file=sys.stderr,
            )
        restart = False
        window: MainWindow | None = None
        apply_style(app, qss.look_of(paths().config_file))  # [accessibility], read again at a restart
        try:
            ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            window = compose(
                runtime,
                config_file=paths().config_file,
                problem=problem,
                pages_on_demand=True,
                on_restart=partial(_resolve, ended, "restart"),
                field=field,
                kiosk=kiosk or kiosk_configured(paths().config_file),  # read again at a restart
                display=display,
            )
            if window.kiosk.kiosk and not window.gate.configured:
                log.warning("kiosk mode without a manager PIN: anyone can leave it; set a PIN in Settings")
            window.closed.connect(partial(_resolve, ended, "closed"))
            show_fitted(window)
            recovering = asyncio.ensure_future(window.counter.model.recover())  # held; errors shown in words
            # asked at once, so a provider that does not answer is said now, not at the first sale; held
            asking = asyncio.ensure_future(watch_provider(window.counter.model.standings, runtime.provider.ping))
            watchdog.start(after=recovering)  # READY=1 once recovery has run, then WATCHDOG=1 from this loop
            if os.environ.get("TILLQR_EXIT_WHEN_READY"):  # cold-start benchmark and smoke runs
                await recovering
                await asyncio.sleep(0.05)  # Qt paints through the loop (processEvents here would re-enter tasks)
                print(f"tillqr: ready ({runtime.mode_text})", flush=True)
                window.close_for_good()
            restart = await ended == "restart"
            if restart:
                window.close_for_good()  # its closed signal also closes the bridge; ``ended`` is already set
                window.deleteLater()
            for task in (recovering, asking):
                if not task.done():
                    task.cancel()
            await asyncio.gather(recovering, asking, return_exceptions=True)
        finally:
            if window is not None:
                await window.aclose_pages()  # the Field page's book and provider, before the runtime
            await runtime.aclose()
        if not restart:
            await watchdog.stop()
            return 0
        demo = None if demo is not True else demo  # a restart follows the saved configuration


def _dialogs_wanted() -> bool:
    """A message box only where someone can click it: not headless, not in a smoke/benchmark run."""
    platform = QGuiApplication.platformName().lower()
    return platform not in ("offscreen", "minimal", "vnc") and not os.environ.get("TILLQR_EXIT_WHEN_READY")


def _say_cannot_start(text: str) -> None:
    print(_("tillqr: cannot start: {reason}").format(reason=text), file=sys.stderr, flush=True)
    if _dialogs_wanted():
        QMessageBox.critical(None, _("TillQR cannot start"), text)  # Qt's own loop; asyncio's has ended


def _no_display() -> bool:
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def run_gui(
    *,
    demo: bool | None,
    provider: str | None = None,
    field: bool = False,
    kiosk: bool = False,
    display: DisplayMode | None = None,
) -> int:
    """Run the kiosk until its window is closed; returns the process exit code. ``kiosk``: kiosk mode
    whatever config.toml says (``[kiosk] enabled = true`` turns it on too); ``display``: the customer
    display's mode whatever [display] says."""
    if _no_display():
        print(
            _(
                "tillqr: no display: start TillQR from a desktop session (X11 or Wayland), or set "
                "{variable}=offscreen to run it headless; {command} works without a screen"
            ).format(variable="QT_QPA_PLATFORM", command="`tillqr charge`"),
            file=sys.stderr,
        )
        return 1
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName("TillQR")
    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when to stop, after closing the runtime
    apply_style(app)
    install_qt_translations(app)  # Qt's own dialogs in the store's language, again on each switch
    try:
        with asyncio.Runner(loop_factory=lambda: TillEventLoop(app)) as runner:
            return runner.run(_main(app, demo=demo, provider=provider, field=field, kiosk=kiosk, display=display))
    except StartupFailed as exc:
        _say_cannot_start(str(exc))  # after the asyncio loop has ended: no task to re-enter
        return 1
