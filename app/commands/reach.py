"""Who is not answering, where, and what to do about it: the words ``charge``, ``recover`` and ``journal refund``
say when the provider (or the sandbox) cannot be reached or is slow. A password in a URL is never printed."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from app.config.settings import SettingsError, is_configured
from app.i18n import _
from app.providers.base import ProviderError, ProviderTimeout
from app.runtime import Runtime, load_settings

from .cli_support import demo_flag


def public(url: str) -> str:
    """``url`` without any user:password part (never printed)."""
    parts = urlsplit(url)
    return (
        urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))
        if parts.hostname and "@" in parts.netloc
        else url
    )


def unreachable(args, exc: ProviderError) -> str:
    """Who is not answering, where, and what to do about it."""
    try:
        p, configured = load_settings()
    except (SettingsError, OSError):
        return str(exc)
    url = os.environ.get("TILLQR_SANDBOX_URL", "").rstrip("/")
    slow = isinstance(exc, ProviderTimeout)
    if demo_flag(args) or not is_configured(configured) or configured is None:
        if url and slow:
            return _(
                "the sandbox at {url} (TILLQR_SANDBOX_URL) is slow: it did not answer in time ({reason}); "
                "try again, or clear its simulated latency with DELETE /_sandbox/faults"
            ).format(url=public(url), reason=exc.message)
        if url:
            return _(
                "the sandbox at {url} cannot be reached (TILLQR_SANDBOX_URL): {reason}; start it with "
                "`tillqr sandbox`, or unset TILLQR_SANDBOX_URL to run one inside this command"
            ).format(url=public(url), reason=exc.message)
        return str(exc)
    where = {"provider": configured.provider, "url": public(configured.base_url), "reason": exc.message}
    if slow:
        return _(
            "{provider} at {url} is slow: it did not answer in time ({reason}); try again shortly "
            "(check the network if it keeps happening)"
        ).format(**where)
    return _(
        "{provider} at {url} cannot be reached: {reason}; check the network, and provider.base_url in {file}"
    ).format(file=p.config_file, **where)


def where(rt: Runtime) -> str:
    """Where this till's payments go, for an error's words."""
    if rt.sandbox is not None:
        if rt.sandbox.url:
            return _("the sandbox at {url}").format(url=public(rt.sandbox.url))
        return _("the sandbox in this process")
    return _("{provider} at {url}").format(provider=rt.settings.provider, url=public(rt.settings.base_url))
