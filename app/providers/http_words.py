"""What :mod:`app.providers.http` says when a call fails (a ``ProviderError``'s message: the Journal, the CLI and
Settings' connection test show it), kept here so that the client stays short. Each is looked up when said."""

from __future__ import annotations

from app.i18n import lazy_

NO_ANSWER_WITHIN = lazy_("did not answer within {seconds} s")
UNREACHABLE = lazy_("could not be reached (the connection failed)")
UNTRUSTED = lazy_(
    "its TLS certificate could not be verified ({why}); TillQR talks only to a server with a valid certificate: "
    "check the provider's base URL in Settings"
)
NOT_JSON = lazy_("answered {status} with a body that is not JSON")
NO_SUCH_PATH = lazy_("answered 404 at {path} without an error body of the provider's: is the base URL right?")
