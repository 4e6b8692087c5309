"""The in-process demo sandbox kept under TILLQR_HOME by the runtime (open_runtime, open_provider), and
open_provider's handle for the field commands."""

from __future__ import annotations

import stat
import uuid

import pytest

from app.domain.money import Money
from app.providers.base import ChargeSpec, ProviderNotFound, linking
from app.runtime import SANDBOX_STATE_FILE, CannotStart, open_provider, open_runtime


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)


def state_file(home):
    return home / "data" / SANDBOX_STATE_FILE


async def test_what_one_field_command_created_is_there_for_the_next(tmp_path):
    handle = await open_provider(demo=True, home=tmp_path)
    try:
        assert handle.demo and handle.sandbox is not None and handle.sandbox.url is None
        assert "DEMO" in handle.mode_text and "in-process" in handle.mode_text
        assert handle.provider.name == "jpmorgan" and handle.settings.currency == "BRL"
        link = await linking(handle.provider).create_link(uuid.uuid4().hex, "bill 1")
    finally:
        await handle.aclose()
    assert stat.S_IMODE(state_file(tmp_path).stat().st_mode) == 0o600

    again = await open_provider(demo=True, home=tmp_path)
    try:
        assert (await linking(again.provider).get_link(link.link_id)).payload == link.payload
    finally:
        await again.aclose()
    state_file(tmp_path).unlink()
    fresh = await open_provider(demo=True, home=tmp_path)  # the control: without the file, nothing is known
    try:
        with pytest.raises(ProviderNotFound):
            await linking(fresh.provider).get_link(link.link_id)
    finally:
        await fresh.aclose()


async def test_open_provider_picks_a_sandbox_provider_and_refuses_an_unknown_one(tmp_path):
    handle = await open_provider(demo=True, home=tmp_path, provider="pix")
    try:
        assert handle.provider.name == "pix" and handle.settings.currency == "BRL"
        sale = uuid.uuid4().hex
        info = await handle.provider.create_request(ChargeSpec(sale, Money(500, "BRL"), "r", 600, sale))
    finally:
        await handle.aclose()
    again = await open_provider(demo=True, home=tmp_path, provider="pix")
    try:
        assert (await again.provider.get_request(info.request_id)).amount == Money(500, "BRL")
    finally:
        await again.aclose()
    with pytest.raises(CannotStart, match="unknown provider"):
        await open_provider(demo=True, home=tmp_path, provider="nope")


async def test_an_outside_sandbox_keeps_its_own_state(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_SANDBOX_URL", "http://127.0.0.1:9/")
    handle = await open_provider(demo=True, home=tmp_path)
    try:
        assert handle.sandbox is not None and handle.sandbox.url == "http://127.0.0.1:9"
        assert handle.sandbox.keeper is None and "127.0.0.1:9" in handle.mode_text
    finally:
        await handle.aclose()
    assert not state_file(tmp_path).exists()


async def test_the_demo_till_keeps_its_static_link_and_saves_on_demand(tmp_path):
    rt = await open_runtime(demo=True, home=tmp_path, poll_interval=0.05)
    try:
        first = rt.link
        await rt.sandbox.settled()  # the save after the link's creation runs in the background
        assert first is not None and state_file(tmp_path).exists()
        before = state_file(tmp_path).stat().st_mtime_ns
        rt.sandbox.keeper.state.advance(1)  # a change no provider call made: only an explicit save keeps it
        await rt.save_sandbox()
        assert state_file(tmp_path).stat().st_mtime_ns != before
    finally:
        await rt.aclose()
    rt = await open_runtime(demo=True, home=tmp_path, poll_interval=0.05)
    try:
        assert rt.link is not None and rt.link.link_id == first.link_id  # the printed counter QR still works
        assert rt.sandbox.keeper.state.offset.total_seconds() == 1
    finally:
        await rt.aclose()


async def test_a_damaged_state_file_never_stops_a_demo_start(tmp_path, caplog):
    state_file(tmp_path).parent.mkdir(parents=True)
    state_file(tmp_path).write_text("{ damaged")
    handle = await open_provider(demo=True, home=tmp_path)
    await handle.aclose()
    assert list(state_file(tmp_path).parent.glob(f"{SANDBOX_STATE_FILE}.damaged-*"))
    assert "could not be read back" in caplog.text
