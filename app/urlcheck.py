"""Where TillQR may send credentials: the one check of a provider's (or sandbox's) base URL.

The URL is parsed, never prefix-tested (``http://localhost@evil.example`` is a remote host):

- ``https://`` to any host (TLS verification is always on: app.providers.http);
- plain ``http://`` only to this machine: ``localhost`` or a loopback address (127.0.0.0/8, ``::1``);
- never a user name or password in the URL (the ``user@`` part), nor characters a host name cannot hold
  (two parsers reading one URL differently is how ``user@host`` tricks work).

Used by the settings' validation (app.config.settings), every provider client (app.providers.http) and
``TILLQR_SANDBOX_URL`` (app.runtime). Imports nothing from app but ``app.i18n`` (its words), so every floor may
use it.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from app.i18n import _

_HOST_CHARS = re.compile(r"[A-Za-z0-9.\-_:\[\]%]+")  # what a host[:port] is made of; no '@', '\', spaces


class UnsafeUrl(ValueError):
    """A URL TillQR will not send credentials to; ``str()`` says why, in words (the URL's secrets left out)."""


def is_loopback(host: str) -> bool:
    """``host`` (as ``urlsplit(...).hostname`` gives it) is this machine: localhost, 127.0.0.0/8 or ::1."""
    name = host.rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def checked_url(url: str, what: str = "") -> str:
    """``url`` as it is when TillQR may talk to it with credentials; UnsafeUrl saying why otherwise. ``what``: how
    the message names it (a config key; "": the provider's URL)."""
    what = what or _("the provider's URL")
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - read for its ValueError on a port that is not a number
    except ValueError:
        raise UnsafeUrl(_("{what} is not a valid URL").format(what=what)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl(_("{what} must start with https://").format(what=what))
    if "@" in parts.netloc:
        raise UnsafeUrl(
            _("{what} must not hold a user name or password (the part before '@'); remove it").format(what=what)
        )
    if not host or not _HOST_CHARS.fullmatch(parts.netloc):
        raise UnsafeUrl(_("{what} has no valid host name").format(what=what))
    if scheme == "http" and not is_loopback(host):
        raise UnsafeUrl(
            _(
                "{what} must be https:// (plain http:// only to this machine: localhost, 127.0.0.1 or ::1), "
                "not plain http to {host}"
            ).format(what=what, host=host)
        )
    return url
