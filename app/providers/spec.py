"""``ProviderSpec``: everything set-up code needs to know about one provider, declared once.

Each provider module (``jpmorgan.py``, ``razorpay.py``, ...) ends with one ``SPEC``; the
registry lists them, one line each, and the runtime, the settings screen, the sandbox's
mounting, the self-test and the command line read them. Nothing outside ``app/providers``
compares a provider's name: it asks the spec (fields, secrets, label) or the client
(``capabilities``).

A spec's fields are of two kinds:

- secrets (``secret=True``): credentials, kept in the OS keyring under (provider, key) and
  handed to the factory in ``credentials``; an optional one (``required=False``, Razorpay's webhook
  secret) may be unset, and is then not handed over;
- settings: kept in ``config.toml`` under ``[provider]`` (``key`` is the ``Settings``
  attribute and the TOML key); those with an ``option`` go to the client's constructor
  under that keyword, the others are read by set-up code (the counter's payment link).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from app.i18n import LazyText, _
from app.qr.rules import Scheme

from .base import Capability, PaymentProvider

# A client's constructor options by keyword (settings' ``option`` fields; a test's timer, timeout, clock): each
# client's own keywords, of its own types, which its constructor checks (TypeError, ValueError).
Options = dict[str, object]
# (base_url, credentials, transport, options) -> a ready client; ValueError for bad options
Factory = Callable[[str, Mapping[str, str], "httpx.AsyncBaseTransport | None", Options], PaymentProvider]


@dataclass(frozen=True)
class ConfigField:
    """One thing a store configures for a provider."""

    key: str  # secret: the credential's name; otherwise the Settings attribute / config.toml key under [provider]
    label: str | LazyText  # what the settings screen calls it (a credential: the provider's own name for it)
    secret: bool = False  # True: the keyring, never a file
    required: bool = True  # a real (not demo) till needs it
    help: str | LazyText = ""  # the hint shown beside it
    option: str = ""  # settings only: the client's keyword argument ("" = not handed to the client)


@dataclass(frozen=True)
class ProviderSpec:
    name: str  # the word in config.toml, --provider, the journal and /_sandbox/state
    label: str  # for screens
    factory: Factory
    sandbox_module: str  # dotted path of its simulator in app/sandbox, imported only in demo mode
    fields: tuple[ConfigField, ...]
    capabilities: Capability  # what every client of this provider can do
    schemes: tuple[Scheme, ...]  # the QR schemes its payloads are in
    currencies: tuple[str, ...]  # the markets it can charge in (a client may narrow them)
    secret_hint: str | LazyText = ""  # what the credentials are, for error messages
    # the client's keyword for the URL the provider notifies (Depay's notification_url), when each request names
    # it; "" when notifications are set up in the provider's dashboard (Razorpay, J.P. Morgan) or not at all
    notify_option: str = ""

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials' names, in the order the settings screen asks for them."""
        return tuple(f.key for f in self.fields if f.secret)

    @property
    def required_secrets(self) -> tuple[str, ...]:
        """The credentials a client cannot work without."""
        return tuple(f.key for f in self.fields if f.secret and f.required)

    @property
    def settings(self) -> tuple[ConfigField, ...]:
        """The non-secret fields (config.toml)."""
        return tuple(f for f in self.fields if not f.secret)

    def client_options(self, values: object) -> dict[str, str]:
        """The constructor options held by ``values`` (a ``Settings``: one attribute per field key), only
        those set."""
        found = {f.option: getattr(values, f.key, "") for f in self.settings if f.option}
        return {option: value for option, value in found.items() if isinstance(value, str) and value}

    def demo_credentials(self) -> dict[str, str]:
        """Credentials the sandbox accepts (any non-empty ones of the provider's scheme)."""
        return {key: f"sandbox-demo-{key}" for key in self.secrets}

    def create(
        self,
        *,
        base_url: str,
        credentials: Mapping[str, str],
        transport: httpx.AsyncBaseTransport | None = None,
        **options: object,
    ) -> PaymentProvider:
        """A ready client; ValueError (naming what is missing, never a value) when a credential is empty."""
        missing = [
            k for k in self.required_secrets if not (isinstance(credentials.get(k), str) and credentials[k].strip())
        ]
        if missing:
            needs = " and ".join(f"credentials[{k!r}]" for k in missing)
            if self.secret_hint:
                raise ValueError(
                    _("{provider} needs {credentials} ({hint})").format(
                        provider=self.name, credentials=needs, hint=self.secret_hint
                    )
                )
            raise ValueError(_("{provider} needs {credentials}").format(provider=self.name, credentials=needs))
        return self.factory(base_url, credentials, transport, dict(options))
