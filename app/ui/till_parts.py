"""The parts ``app.ui.app.compose`` wires around the counter: the customer's display, the Journal and Field pages
(built when first opened), the counter's sounds and last sales, and where receipts print."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.config.settings import DisplayMode
from app.providers.clock import clock_skew_of, skew_words
from app.receipts.desk import ReceiptDesk
from app.screens.backoffice_model import BackofficeModel
from app.screens.counter_model import CounterModel
from app.screens.counter_sounds import CounterSounds, SoundChoice
from app.screens.customer_display_model import CustomerDisplayModel
from app.screens.last_sales_model import LastSalesModel
from app.screens.operations import Level
from app.sound import SoundPlayer

from .backoffice_view import BackofficeLine
from .bridge import EventBridge
from .counter import CounterView
from .customer_display import CustomerDisplay
from .main_window import MainWindow
from .receipt_painter import LazyQtPainter


def customer_display(
    runtime: Any, bridge: EventBridge, window: MainWindow, mode: DisplayMode | None = None
) -> CustomerDisplay | None:
    """The customer's window ([display]; app/ui/customer_display.py), following the controller's events as the
    counter does; None when it is off. Closed with the till's window."""
    settings = getattr(runtime, "settings", None)
    mode = mode or DisplayMode(settings.display_mode if settings is not None else DisplayMode.AUTO.value)
    if mode is DisplayMode.OFF:
        return None
    link = getattr(runtime, "link", None)
    model = CustomerDisplayModel(
        runtime.store_name,
        static_payload=link.payload if link else None,
        idle_message=settings.display_idle_message if settings is not None else "",
        result_seconds=settings.display_result_seconds if settings is not None else 5,
        current=runtime.controller.current,
    )
    bridge.follow(model.on_event)
    display = CustomerDisplay(model, mode, anchor=window)
    window.customer_display = display
    window.closed.connect(display.close_for_good)
    return display


def backoffice_for(runtime: Any, config_file: Path | None) -> BackofficeModel | None:
    """The back office's model on the runtime's journal (None for a bare runtime without one), started when a
    loop runs: its background sender sends when ``[backoffice] url`` is set and the till is registered."""
    journal, paths, settings = (getattr(runtime, name, None) for name in ("journal", "paths", "settings"))
    if journal is None or paths is None or settings is None:
        return None
    model = BackofficeModel(
        paths.data_dir, journal, demo=runtime.demo, url=settings.backoffice_url, config_file=config_file
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return model  # composed without a loop (a screenshot script): the state only, never sent
    model.start()
    return model


def build_journal_page(
    runtime: Any, gate: Any, bridge: EventBridge, backoffice: BackofficeModel | None = None
) -> QWidget:
    from app.screens.journal_model import JournalModel  # lazy: built when the Journal is first opened
    from app.ui.journal_view import JournalView  # lazy: as above

    model = JournalModel(runtime.controller, runtime.journal, gate)
    skew = skew_words(clock_skew_of(runtime.provider))
    if skew:  # the manager's page: this machine's clock against the provider's answers
        model.message, model.message_level = skew, Level.WARNING
    bridge.follow(model.on_event)
    view = JournalView(model, receipts=receipt_desk(runtime))
    if backoffice is not None:  # under the status row: connected, records waiting, last push
        layout = view.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(2, BackofficeLine(backoffice))
    return view


def counter_extras(runtime: Any, model: CounterModel, view: CounterView) -> LastSalesModel | None:
    """The counter's sounds ([sound], app.sound: the machine's own player) and its "Last sales" panel (returned)."""
    paths = getattr(runtime, "paths", None)
    settings = getattr(runtime, "settings", None)
    choice = SoundChoice.of(settings) if settings is not None else SoundChoice()
    if choice.any:
        player = SoundPlayer(paths.data_dir / "sounds" if paths is not None else None)
        model.on_sale_ended(CounterSounds(player, choice).sale_ended)
    journal = getattr(runtime, "journal", None)
    if journal is None:
        return None
    last = LastSalesModel(journal, view.receipts)
    view.set_last_sales(last)
    return last


def receipt_desk(runtime: Any) -> ReceiptDesk | None:
    """Where the till prints receipts and the shift report ([printer]); None for a bare runtime (tests)."""
    paths = getattr(runtime, "paths", None)
    if paths is None:
        return None
    return ReceiptDesk.for_settings(
        runtime.settings, runtime.journal, LazyQtPainter(), paths.data_dir, demo=runtime.demo
    )


def build_field_page(runtime: Any, window: MainWindow) -> QWidget:
    from app.fieldwork.opening import open_session  # lazy: built when the Field page is first opened
    from app.ui.field_page import FieldPage  # lazy: as above

    settings = runtime.settings
    opener = partial(
        open_session,
        runtime.paths,
        demo=runtime.demo,
        configured_provider=settings.provider,
        lent=runtime.provider,
        lent_sandbox=runtime.sandbox,
    )
    page = FieldPage(opener)
    window.closers.append(page.aclose)
    return page
