"""Every provider TillQR has: one line each. The controller asks for capabilities; only set-up code
asks for names, and what it asks comes from the provider's ``ProviderSpec`` (``spec.py``).

``create_provider("jpmorgan", base_url=..., credentials={"client_id": ..., "client_secret": ...})``.
``options`` go to the provider's constructor (timeout, retry, timer, creditor, ...).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from app.i18n import _

from . import depay, jpmorgan, pix, razorpay
from .base import PaymentProvider
from .spec import ProviderSpec

SPECS: tuple[ProviderSpec, ...] = (
    jpmorgan.SPEC,  # the first is the default (demo mode, a new configuration)
    depay.SPEC,
    pix.SPEC,
    razorpay.SPEC,
)

BY_NAME: dict[str, ProviderSpec] = {spec.name: spec for spec in SPECS}
PROVIDERS: tuple[str, ...] = tuple(BY_NAME)
DEFAULT = SPECS[0].name
# What each provider's credentials dict must hold (the keyring's keys, the settings screen's rows).
CREDENTIAL_KEYS: dict[str, tuple[str, ...]] = {spec.name: spec.secrets for spec in SPECS}


def unknown(name: str) -> str:
    """The words for a provider name that is none of these."""
    return _("unknown provider {name!r}: choose one of {names}").format(name=name, names=", ".join(PROVIDERS))


def spec_of(name: str) -> ProviderSpec:
    """The spec of provider ``name``; ValueError (in words) for an unknown one."""
    spec = BY_NAME.get(name)
    if spec is None:
        raise ValueError(unknown(name))
    return spec


def sandbox_modules() -> tuple[str, ...]:
    """The simulators of every provider, by dotted path (what ``tillqr sandbox`` mounts)."""
    return tuple(spec.sandbox_module for spec in SPECS)


def create_provider(
    name: str,
    *,
    base_url: str,
    credentials: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
    **options: object,
) -> PaymentProvider:
    """A ready client for provider ``name``; ValueError for an unknown name or missing credentials."""
    return spec_of(name).create(base_url=base_url, credentials=credentials, transport=transport, **options)
