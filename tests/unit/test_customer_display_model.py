"""The customer display's model: its faces from the controller's events (real controller, in-process sandbox,
real SQLite), its clock injected; where its window goes (``place``, Qt-free); its colours' contrast."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from app.checkout.events import CounterFree, SaleChanged
from app.checkout.reissue import REASON
from app.config.settings import DisplayMode
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.screens.counter_model import CounterModel
from app.screens.customer_display_model import (
    COLOURS,
    CustomerDisplayModel,
    Face,
    Placement,
    ScreenBox,
    place,
)
from tests.support.till import demo_till


class Clock:
    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or utcnow()


def linked(amount: str = "12.50", seconds: int = 300) -> Sale:
    sale = Sale.new(Money.parse(amount, "BRL"), "x", "table 4", cashier="Ana")
    return sale.move(
        SaleStatus.LINKED, payload="PAYLOAD-" + amount, expires_at=sale.created_at + timedelta(seconds=seconds)
    )


def shown(model: CustomerDisplayModel, sale: Sale) -> None:
    model.on_event(SaleChanged(sale))


# -- faces -----------------------------------------------------------------------------------------------
def test_idle_shows_the_static_sticker_or_the_message():
    assert CustomerDisplayModel("Padaria", static_payload="STICKER").look().payload == "STICKER"
    plain = CustomerDisplayModel("Padaria", idle_message="Bem-vindo").look()
    assert (plain.face, plain.store_name, plain.payload, plain.title) == (Face.IDLE, "Padaria", None, "Bem-vindo")
    assert CustomerDisplayModel("Padaria").look().title == "Welcome"


def test_a_sale_waits_with_its_amount_qr_and_countdown_then_paid_for_a_few_seconds_then_idle():
    clock = Clock()
    model = CustomerDisplayModel("Padaria", static_payload="STICKER", result_seconds=5, clock=clock)
    heard: list[Face] = []
    model.on_change(lambda: heard.append(model.face))
    pending = Sale.new(Money.parse("12.50", "BRL"), "x", "table 4", cashier="Ana")
    shown(model, pending)
    one_moment = model.look()
    assert (one_moment.face, one_moment.title, one_moment.amount, one_moment.payload) == (
        Face.WAITING,
        "One moment…",
        "BRL 12.50",
        None,
    )
    sale = pending.move(SaleStatus.LINKED, payload="PAY", expires_at=pending.created_at + timedelta(seconds=300))
    shown(model, sale)
    assert sale.expires_at is not None
    clock.at = sale.expires_at - timedelta(seconds=125)
    look = model.look()
    assert (look.face, look.amount, look.payload, look.countdown) == (Face.WAITING, "BRL 12.50", "PAY", "2:05")
    words = " ".join(str(v) for v in look.__dict__.values())
    assert "table 4" not in words and "Ana" not in words  # the reference and the cashier stay at the counter

    paid = sale.move(SaleStatus.SETTLED, amount_received=sale.amount)
    shown(model, paid)
    assert (model.look().face, model.look().title, model.look().payload) == (Face.PAID, "PAID", None)
    model.on_event(CounterFree(paid.move(SaleStatus.SETTLED, unlinked=True)))  # a later snapshot: still PAID
    clock.at += timedelta(seconds=4.9)
    assert not model.tick() and model.face is Face.PAID
    clock.at += timedelta(seconds=0.2)
    assert model.tick() and model.look().payload == "STICKER"
    shown(model, paid)  # a late snapshot of the retired sale does not bring it back
    assert model.face is Face.IDLE
    assert heard[:3] == [Face.WAITING, Face.WAITING, Face.PAID] and heard[-1] is Face.IDLE


@pytest.mark.parametrize(
    ("status", "face", "title"),
    [
        (SaleStatus.EXPIRED, Face.EXPIRED, "EXPIRED"),
        (SaleStatus.CANCELLED, Face.CANCELLED, "CANCELLED"),
        (SaleStatus.FAILED, Face.FAILED, "NOT PAID"),
    ],
)
def test_unpaid_ends_are_named_in_large_type(status, face, title):
    model = CustomerDisplayModel("Padaria")
    sale = linked()
    shown(model, sale)
    shown(model, sale.move(status))
    look = model.look()
    assert (look.face, look.title, look.amount) == (face, title, "BRL 12.50")
    assert "Nothing was charged" in look.detail or face is Face.FAILED


def test_a_new_sale_replaces_the_result_at_once():
    model = CustomerDisplayModel("Padaria", result_seconds=30)
    first = linked()
    shown(model, first)
    shown(model, first.move(SaleStatus.SETTLED, amount_received=first.amount))
    shown(model, linked("3.00"))
    assert (model.face, model.look().amount) == (Face.WAITING, "BRL 3.00")


def test_sales_it_never_showed_open_stay_away_and_never_hide_the_open_one():
    model = CustomerDisplayModel("Padaria")
    old = linked("99.00")
    shown(
        model, old.move(SaleStatus.SETTLED, amount_received=old.amount).move(SaleStatus.REFUNDED)
    )  # a refund in the Journal, recovery of an old sale
    model.on_event(CounterFree(old.move(SaleStatus.EXPIRED)))
    assert model.face is Face.IDLE
    sale = linked()
    shown(model, sale)
    shown(model, linked("77.00"))  # recovery asking about another open one
    assert model.look().amount == "BRL 12.50"
    shown(model, sale.move(SaleStatus.PROCESSING))
    shown(model, sale)  # an older snapshot arriving late
    assert model.look().detail == "Payment in progress…"


def test_part_payments_say_what_is_left_and_refunds_at_the_end():
    model = CustomerDisplayModel("Padaria")
    sale = linked()
    shown(model, sale)
    shown(model, sale.move(SaleStatus.LINKED, amount_received=Money.parse("8.00", "BRL")))
    assert model.look().detail == "Received BRL 8.00 · BRL 4.50 still to pay"
    assert model.look().title == "Scan to pay"  # never PAID while part is missing
    shown(model, model.sale.move(SaleStatus.EXPIRED))  # type: ignore[union-attr]
    assert model.face is Face.EXPIRED and "BRL 8.00 was received" in model.look().detail


def test_a_shown_sale_is_taken_over_at_start():
    sale = linked()
    assert CustomerDisplayModel("Padaria", current=sale).look().payload == sale.payload
    assert CustomerDisplayModel("Padaria", current=sale.move(SaleStatus.EXPIRED)).face is Face.IDLE


# -- on the real controller -------------------------------------------------------------------------------
async def _until(check, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.01)


async def test_follows_the_controller_to_paid_and_more_time_shows_no_cancel(tmp_path):
    async with demo_till(tmp_path, duration_s=300) as rt:
        model = CustomerDisplayModel(rt.store_name, static_payload=rt.link.payload if rt.link else None)
        faces: list[Face] = []
        model.on_change(lambda: faces.append(model.face))
        rt.controller.subscribe(model.on_event)
        counter = CounterModel(rt.controller)
        rt.controller.subscribe(counter.on_event)
        assert model.face is Face.IDLE and model.look().payload == rt.link.payload  # type: ignore[union-attr]

        old = await rt.controller.charge("12.50", "table 4")
        await _until(lambda: model.look().payload == old.payload)
        new = await rt.controller.more_time()
        await _until(lambda: model.look().payload == new.payload)
        assert Face.CANCELLED not in faces  # the request was cancelled for more time: not the customer's news
        stored = await rt.controller.wait_closed(old.sale_id, timeout=10)
        assert stored.reason == REASON and model.look().amount == "BRL 12.50"

        assert model.look().amount == counter.sale_caption[0]  # one money format on both screens

        await rt.sandbox.pay(new.payload)
        await _until(lambda: model.face is Face.PAID)
        assert model.look().amount == "BRL 12.50"


# -- where the window goes --------------------------------------------------------------------------------
MAIN = ScreenBox("HDMI-1", 0, 0, 1280, 800)
SECOND = ScreenBox("HDMI-2", 1280, 0, 1024, 768)


def test_placement_on_a_second_screen_full_screen():
    for mode in (DisplayMode.AUTO, DisplayMode.WINDOW):
        assert place(mode, [MAIN, SECOND], "HDMI-1") == Placement(True, "HDMI-2", True, (1280, 0, 1024, 768))
        assert place(mode, [SECOND, MAIN], "HDMI-2") == Placement(True, "HDMI-1", True, (0, 0, 1280, 800))
    assert place(DisplayMode.AUTO, [SECOND, MAIN]) == Placement(True, "HDMI-1", True, (0, 0, 1280, 800))


def test_placement_with_one_screen_follows_the_mode():
    assert place(DisplayMode.AUTO, [MAIN], "HDMI-1") == Placement(False)
    assert place(DisplayMode.OFF, [MAIN, SECOND], "HDMI-1") == Placement(False)
    assert place(DisplayMode.WINDOW, [MAIN], "HDMI-1") == Placement(True, "HDMI-1", False, (160, 100, 960, 600))
    small = ScreenBox("LCD", 0, 0, 800, 480)
    assert place(DisplayMode.WINDOW, [small]) == Placement(True, "LCD", False, (80, 48, 640, 384))
    assert place(DisplayMode.WINDOW, []) == Placement(False)


# -- colours --------------------------------------------------------------------------------------------
def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_face_has_a_contrast_of_at_least_4_5():
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the check can fail: a grey that misses AA
    assert set(COLOURS) == set(Face)
    for face, (background, text) in COLOURS.items():
        assert contrast(background, text) >= 4.5, face
