"""The settings screen's connection test, without Qt: one harmless call to the configured
provider, and what happened in words.

Used by SettingsModel.test_connection (app/screens/settings_model.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from app.config.settings import Settings
from app.i18n import _
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
        return False, _("Credentials refused by {provider} at {url} ({status}): check them").format(
            provider=s.provider, url=where, status=exc.status_code
        )
    except ProviderUnavailable as exc:
        return False, _("Cannot reach {provider} at {url}: {reason}").format(provider=s.provider, url=where, reason=exc)
    except ProviderNotFound as exc:
        return False, _("Connected, credentials accepted, but {reason}").format(reason=exc)
    except ProviderError as exc:
        return False, _("{provider} answered with an error: {reason}").format(provider=s.provider, reason=exc)
    except (httpx.HTTPError, OSError) as exc:
        return False, _("Cannot reach {url}: {error}").format(url=where, error=type(exc).__name__)
    if found:
        return True, _("Connection OK: {provider} at {url} accepted the credentials; {found}").format(
            provider=s.provider, url=where, found=found
        )
    return True, _("Connection OK: {provider} at {url} accepted the credentials").format(provider=s.provider, url=where)


async def probe(prov: Any, s: Settings, on_link: Callable[[LinkInfo], None]) -> str:
    """The harmless call for ``prov``; what it found worth saying, or "".

    With a static payment link configured, reading that link is the probe (and shows it);
    otherwise the provider's own ``ping()``."""
    if s.payment_link_id and Capability.STATIC_LINK in prov.capabilities:
        link = await prov.get_link(s.payment_link_id)
        on_link(link)
        return _("payment link {link} found").format(link=link.link_id)
    await prov.ping()
    return ""
