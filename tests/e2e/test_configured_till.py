"""A configured (not demo) till: settings from config.toml, credentials from the keyring, a real server."""

import pytest

from app.config.secrets import set_secret
from app.domain.sale import SaleStatus
from app.runtime import CannotStart, open_runtime

pytestmark = pytest.mark.e2e


def write_config(home, body: str) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(body, encoding="utf-8")


async def test_configured_razorpay_till_charges_with_keyring_credentials(sandbox_url, tmp_path, ring):
    write_config(
        tmp_path,
        f'[store]\nname = "Chai Point"\ncity = "BENGALURU"\ncurrency = "INR"\n'
        f'[provider]\nname = "razorpay"\nbase_url = "{sandbox_url}/razorpay"\n',
    )
    with pytest.raises(CannotStart, match="no key_id for razorpay in the keyring"):
        await open_runtime(home=tmp_path)
    set_secret("razorpay", "key_id", "rzp_test_canary")
    set_secret("razorpay", "key_secret", "CANARY-SECRET-123")
    rt = await open_runtime(home=tmp_path, poll_interval=0.1)
    try:
        assert not rt.demo and rt.sandbox is None and rt.settings.currency == "INR"
        sale = await rt.controller.charge("250.00", "masala chai")
        import httpx

        async with httpx.AsyncClient() as client:
            paid = await client.post(f"{sandbox_url}/_sandbox/pay", json={"payload": sale.payload})
        assert paid.status_code == 200
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.SETTLED and str(closed.received) == "250.00"
    finally:
        await rt.aclose()
    for path in tmp_path.rglob("*"):  # the secret is in the keyring only, never in a file
        if path.is_file():
            assert b"CANARY-SECRET-123" not in path.read_bytes(), path


async def test_configured_jpmorgan_till_uses_its_static_link(sandbox_url, tmp_path, ring):
    from app.providers.registry import create_provider

    prov = create_provider(
        "jpmorgan", base_url=f"{sandbox_url}/jpmorgan", credentials={"client_id": "c", "client_secret": "s"}
    )
    link = await prov.create_link("setup-" + tmp_path.name[-20:], "counter 1")
    await prov.aclose()
    write_config(
        tmp_path,
        f'[provider]\nname = "jpmorgan"\nbase_url = "{sandbox_url}/jpmorgan"\npayment_link_id = "{link.link_id}"\n',
    )
    set_secret("jpmorgan", "client_id", "till-client")
    set_secret("jpmorgan", "client_secret", "CANARY-TOKEN-456")
    rt = await open_runtime(home=tmp_path, poll_interval=0.1)
    try:
        assert rt.link.link_id == link.link_id and rt.link.payload == link.payload
        sale = await rt.controller.charge("9.99")
        import httpx

        async with httpx.AsyncClient() as client:  # the customer scans the printed sticker
            assert (await client.post(f"{sandbox_url}/_sandbox/pay", json={"payload": link.payload})).status_code == 200
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.SETTLED and closed.unlinked
    finally:
        await rt.aclose()
