"""Error messages of the command line that name where to look (app/commands/reach.py)."""

from types import SimpleNamespace

from app.commands import reach
from app.config import settings as settings_mod
from app.providers.base import ProviderTimeout, ProviderUnavailable


def test_an_unreachable_configured_provider_is_named_with_its_base_url_and_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    settings_mod.save(
        settings_mod.Settings(
            provider="razorpay", base_url="https://api.example.test/v1", currency="INR", store_country="IN"
        ),
        config,
    )
    exc = ProviderUnavailable("connection failed (ConnectError)", provider="razorpay")
    text = reach.unreachable(SimpleNamespace(demo=False, sub_demo=False), exc)
    assert text.startswith("razorpay at https://api.example.test/v1 cannot be reached: connection failed")
    assert str(config) in text


def test_a_down_demo_sandbox_is_named_with_its_url(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    monkeypatch.setenv("TILLQR_SANDBOX_URL", "http://127.0.0.1:1/")
    exc = ProviderUnavailable("connection failed (ConnectError)", provider="jpmorgan")
    text = reach.unreachable(SimpleNamespace(demo=True, sub_demo=False), exc)
    assert text.startswith("the sandbox at http://127.0.0.1:1 cannot be reached (TILLQR_SANDBOX_URL)")


def test_a_slow_sandbox_is_said_to_be_slow_not_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    monkeypatch.setenv("TILLQR_SANDBOX_URL", "http://127.0.0.1:1/")
    exc = ProviderTimeout("did not answer in time (ReadTimeout)", provider="jpmorgan")
    text = reach.unreachable(SimpleNamespace(demo=True, sub_demo=False), exc)
    assert "is slow: it did not answer in time" in text and "cannot be reached" not in text
    assert "DELETE /_sandbox/faults" in text
