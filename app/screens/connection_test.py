"""The settings screen's connection test, without Qt: one harmless call to the configured
provider, and what happened in words.

Used by SettingsModel.test_connection (app/screens/settings_model.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from app.config.settings import Settings
from app.providers.base import (
    Capability,
    LinkInfo,
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderUnavailable,
)


async def check(prov: Any, s: Settings, on_link: Callable[[LinkInfo], None]) -> tuple[bool, str]:
    """Probe ``prov`` (closed afterwards) configured by ``s``; (ok, what happened in words).
    ``on_link`` receives the counter's payment link when the probe reads it (jpmorgan)."""
    where = s.base_url
    try:
        try:
            found = await probe(prov, s, on_link)
        finally:
            await prov.aclose()
    except ProviderAuthError as exc:
        return False, f"Credentials refused by {s.provider} at {where} ({exc.status_code}): check them"
    except ProviderUnavailable as exc:
        return False, f"Cannot reach {s.provider} at {where}: {exc}"
    except ProviderNotFound as exc:
        return False, f"Connected, credentials accepted, but {exc}"
    except ProviderError as exc:
        return False, f"{s.provider} answered with an error: {exc}"
    except (httpx.HTTPError, OSError) as exc:
        return False, f"Cannot reach {where}: {type(exc).__name__}"
    return True, f"Connection OK: {s.provider} at {where} accepted the credentials" + (f"; {found}" if found else "")


async def probe(prov: Any, s: Settings, on_link: Callable[[LinkInfo], None]) -> str:
    """The harmless call for ``prov``; what it found worth saying, or "".

    With a static payment link configured, reading that link is the probe (and shows it);
    otherwise the provider's own ``ping()``."""
    if s.payment_link_id and Capability.STATIC_LINK in prov.capabilities:
        link = await prov.get_link(s.payment_link_id)
        on_link(link)
        return f"payment link {link.link_id} found"
    await prov.ping()
    return ""
