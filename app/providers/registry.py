"""Provider names -> factories. The controller asks for capabilities; only set-up code asks for names.

``create_provider("jpmorgan", base_url=..., credentials={"access_token": ...})``.
``options`` go to the provider's constructor (timeout, max_attempts, creditor, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from .base import PaymentProvider
from .depay import DepayProvider
from .jpmorgan import JPMorganProvider
from .pix import DEMO as PIX_DEMO
from .pix import PixProvider
from .razorpay import RazorpayProvider


def _jpmorgan(
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, options: dict[str, Any]
) -> PaymentProvider:
    token = credentials.get("access_token", "")
    if not isinstance(token, str) or not token.strip():
        raise ValueError("jpmorgan needs credentials['access_token'] (an OAuth2 bearer token)")
    return JPMorganProvider(base_url, token, transport=transport, **options)


def _razorpay(
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, options: dict[str, Any]
) -> PaymentProvider:
    key_id, key_secret = credentials.get("key_id", ""), credentials.get("key_secret", "")
    if not all(isinstance(k, str) and k.strip() for k in (key_id, key_secret)):
        raise ValueError("razorpay needs credentials['key_id'] and credentials['key_secret'] (its API key pair)")
    return RazorpayProvider(base_url, key_id, key_secret, transport=transport, **options)


def _pix(
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, options: dict[str, Any]
) -> PaymentProvider:
    token = credentials.get("access_token", "")
    if not isinstance(token, str) or not token.strip():
        raise ValueError("pix needs credentials['access_token'] (a bearer token)")
    where = {k: options.pop(k, None) or credentials.get(k) for k in ("account", "alias", "pix_key")}
    if not any(where.values()):  # nothing configured: the sandbox's demo account (tillqr --demo)
        where = {k: PIX_DEMO[k] for k in where}
        options.setdefault("payer_name", PIX_DEMO["payer_name"])
        options.setdefault("payer_document", PIX_DEMO["payer_document"])
    elif not all(where.values()):
        raise ValueError("pix needs its account, alias and pix_key (all three)")
    return PixProvider(base_url, token, transport=transport, **where, **options)


DEPAY_DEMO_POS = "TILLQR-POS-1"


def _depay(
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, options: dict[str, Any]
) -> PaymentProvider:
    token = credentials.get("access_token", "")
    if not isinstance(token, str) or not token.strip():
        raise ValueError("depay needs credentials['access_token'] (its bearer token)")
    options = {"pos_external_reference": DEPAY_DEMO_POS, **options}  # the till's POS id: set it in real use
    return DepayProvider(base_url, token, transport=transport, **options)


Factory = Callable[[str, Mapping[str, str], "httpx.AsyncBaseTransport | None", dict[str, Any]], PaymentProvider]

FACTORIES: dict[str, Factory] = {
    "jpmorgan": _jpmorgan,
    "depay": _depay,
    "pix": _pix,
    "razorpay": _razorpay,
}
PROVIDERS: tuple[str, ...] = tuple(FACTORIES)

# What each provider's credentials dict must hold (for settings screens and error messages).
CREDENTIAL_KEYS: dict[str, tuple[str, ...]] = {"jpmorgan": ("access_token",)}
CREDENTIAL_KEYS["depay"] = ("access_token",)  # + options pos_external_reference, local_country, qr_from, ...
CREDENTIAL_KEYS["pix"] = ("access_token",)  # + options account, alias, pix_key (none: the sandbox's demo account)
CREDENTIAL_KEYS["razorpay"] = ("key_id", "key_secret")  # HTTP Basic: the API key pair


def create_provider(
    name: str,
    *,
    base_url: str,
    credentials: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> PaymentProvider:
    """A ready client for provider ``name``; ValueError for an unknown name or missing credentials."""
    factory = FACTORIES.get(name)
    if factory is None:
        raise ValueError(f"unknown provider {name!r}: choose one of {', '.join(PROVIDERS)}")
    return factory(base_url, credentials, transport, options)
