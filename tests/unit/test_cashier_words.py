"""What a cashier reads when the provider fails: what happened and what to do, never a class name, a URL or a
config key (the technical account goes to the log). Driven through the counter's view-model on the real
controller, against the sandbox's faults and a port where nothing listens."""

from __future__ import annotations

import re
import socket

import pytest

from app.checkout.controller import CheckoutController
from app.providers.jpmorgan import JPMorganProvider
from app.screens.counter_model import CounterModel
from app.storage.journal import Journal
from tests.support.till import bare_till

CLASS_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+(?:Error|Exception)\b|\b[A-Z][a-z]+(?:Error|Exception)\b")
DOTTED_KEY = re.compile(r"\b[a-z_]+\.[a-z_]+\b")


def cashier_reads(m: CounterModel) -> list[str]:
    banner = m.banner
    return [m.message, banner.title, banner.detail, banner.note, m.standing, m.panel_hint]


def assert_plain(texts: list[str]) -> None:
    for text in texts:
        assert not CLASS_NAME.search(text), text
        assert "http://" not in text and "https://" not in text, text
        assert not DOTTED_KEY.search(text), text


@pytest.mark.parametrize(
    ("faults", "said"),
    [
        ({"error_rate": 1.0}, "having trouble"),
        ({"timeout_rate": 1.0}, "slow"),
        ({"auth_rate": 1.0}, "access keys"),
        ({"garbage_rate": 1.0}, "could not be used"),
        ({"drop_rate": 1.0}, "does not answer"),
    ],
    ids=["5xx", "timeout", "401", "malformed", "dropped"],
)
async def test_a_failed_charge_is_said_in_words(tmp_path, faults, said):
    async with bare_till(tmp_path, timeout=0.3) as till:
        m = CounterModel(till.controller)
        await till.sandbox.faults(**faults)
        m.press("5")
        assert await m.charge() is None
        assert said in m.message, m.message
        assert_plain(cashier_reads(m))
        await till.sandbox.faults()
        if till.controller.current is not None:  # the stopped sale is closed in the background
            await till.controller.wait_closed(till.controller.current.sale_id, timeout=10)
        assert_plain(cashier_reads(m))


async def test_a_provider_on_a_dead_port_is_said_in_words(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    provider = JPMorganProvider(f"http://127.0.0.1:{port}/jpmorgan", "token", timeout=0.3)
    journal = Journal(tmp_path / "journal.sqlite3")
    controller = CheckoutController(provider, journal, currency="BRL", duration_s=60, poll_interval=0.05)
    try:
        m = CounterModel(controller)
        m.press("7")
        assert await m.charge() is None
        assert "does not answer" in m.message and "Try again" in m.message
        assert_plain(cashier_reads(m))
    finally:
        await controller.aclose()
        await provider.aclose()
        await journal.aclose()


def test_the_pattern_catches_what_it_must():
    assert CLASS_NAME.search("connection failed (ConnectError)")
    assert CLASS_NAME.search("ReadTimeoutException")
    assert DOTTED_KEY.search("set provider.base_url first")
    assert not DOTTED_KEY.search("Try again. Call the manager.")


async def test_a_counter_qr_held_by_another_payment_is_not_blamed_on_the_amount(tmp_path):
    from app.domain.money import Money
    from app.providers.base import ChargeSpec, linking

    async with bare_till(tmp_path, timeout=0.3) as till:
        link_id = till.controller.link_id
        assert link_id is not None
        other = await till.provider.create_request(ChargeSpec("f" * 32, Money(300, "BRL"), "another till", 300, "k1"))
        await linking(till.provider).link(link_id, other.request_id, "k2")  # a second till on the same sticker
        m = CounterModel(till.controller)
        m.press("5")
        assert await m.charge() is None
        assert "tied to another" in m.message and "check the amount" not in m.message.lower(), m.message
        assert_plain(cashier_reads(m))
        if till.controller.current is not None:
            await till.controller.wait_closed(till.controller.current.sale_id, timeout=10)
