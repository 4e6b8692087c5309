"""Why a till cannot start, said in words (the GUI and the command line show ``str()`` as it is)."""

from __future__ import annotations

from app.i18n import _
from app.providers.base import ProviderTimeout


class CannotStart(Exception):
    """The till cannot start; the message says what to fix."""


class SandboxError(Exception):
    pass


class SandboxUnavailable(CannotStart):
    """Demo mode's sandbox at ``TILLQR_SANDBOX_URL`` does not answer: no demo till can start either."""

    def __init__(self, url: str, cause: Exception):
        status = getattr(cause, "status_code", None)
        if status:  # it is up, and answered an error (e.g. one of its simulated faults): not "start it"
            super().__init__(
                _(
                    "the demo sandbox at {url} ({variable}) answered {status} ({cause}); "
                    "try again (its simulated faults are cleared with DELETE /_sandbox/faults)"
                ).format(url=url, variable="TILLQR_SANDBOX_URL", status=status, cause=cause)
            )
        elif isinstance(cause, ProviderTimeout):  # it is up but slow (e.g. its simulated latency): not "start it"
            super().__init__(
                _(
                    "the demo sandbox at {url} ({variable}) is slow: it did not answer in time ({cause}); "
                    "try again (its simulated latency and faults are cleared with DELETE /_sandbox/faults)"
                ).format(url=url, variable="TILLQR_SANDBOX_URL", cause=cause)
            )
        else:
            port = url.rsplit(":", 1)[-1].split("/")[0] if url.count(":") > 1 else ""
            start = f"`tillqr sandbox --port {port}`" if port.isdigit() else "`tillqr sandbox`"
            super().__init__(
                _(
                    "the demo sandbox at {url} ({variable}) cannot be reached ({cause}): "
                    "start it with {command}, or unset {variable} to use the built-in one"
                ).format(url=url, variable="TILLQR_SANDBOX_URL", cause=cause, command=start)
            )
        self.url = url


class TillBusy(CannotStart):
    """Another TillQR process holds this till."""


class JournalUnusable(CannotStart):
    """The till's journal is damaged (kept aside) or from a newer TillQR; the message says what to do."""
