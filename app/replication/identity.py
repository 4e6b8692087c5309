"""This machine's identity at the back office: registered once, its token in the keyring.

``register(url, code)`` calls ``POST /api/v1/devices`` with the one-time enrolment code the back office printed
(``{"enrolment_code", "name", "kind"}``) and keeps what it answers: the device id (not a secret) in
``data/backoffice.json`` beside the journal, and the device token in the keyring as ``backoffice:device_token``
(``app.config.secrets``; never in a file). The demo journal is a device of its own (``backoffice-demo.json``,
``backoffice-demo:device_token``): its seqs and the shop's must never meet under one device id.

The same file keeps the last contact with the back office (when, whether it answered, what went wrong, the
clock skew it measured), so ``tillqr backoffice status`` in another process shows what the till's sender saw,
and whether the back office revoked this device. TLS always; plain http only to this machine (app.urlcheck).
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from app.config.secrets import delete_secret, get_secret, set_secret
from app.i18n import _
from app.replication.wire import API, DEVICES, now_iso
from app.urlcheck import checked_url

TOKEN = "device_token"
log = logging.getLogger("tillqr.replication")
REGISTER_TIMEOUT_S = 20.0


class RegistrationError(Exception):
    """The device could not be registered; the message says why, in words."""


@dataclass(frozen=True)
class Contact:
    """The last time the sender spoke to the back office."""

    at: str = ""  # ISO 8601 ("": never)
    answered: bool = False  # the back office answered (whatever it said)
    error: str = ""  # what went wrong, in words ("": nothing)
    skew_s: float | None = None  # this device's clock minus the back office's, measured on the last batch
    pushed_at: str = ""  # the last batch the back office committed


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: str
    url: str  # the back office it is registered with
    registered_at: str
    demo: bool = False
    revoked_at: str = ""  # when the back office said this device is revoked ("": it is not)
    contact: Contact = field(default_factory=Contact)

    @property
    def secret_group(self) -> str:
        return secret_group(self.demo)

    def token(self) -> str | None:
        """The device token from the keyring (SecretsUnavailable when the keyring cannot be read)."""
        return get_secret(self.secret_group, TOKEN)

    def forget_token(self) -> None:
        """The device token removed from the keyring (a revoked device's; SecretsUnavailable when refused)."""
        delete_secret(self.secret_group, TOKEN)


def secret_group(demo: bool) -> str:
    return "backoffice-demo" if demo else "backoffice"


def identity_file(data_dir: Path, demo: bool) -> Path:
    return data_dir / ("backoffice-demo.json" if demo else "backoffice.json")


def load_identity(path: Path) -> DeviceIdentity | None:
    """The identity kept at ``path``; None when the device is not registered (no file, or one that cannot be
    read: registering again makes a new one)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        contact = Contact(**raw.pop("contact", {}))
        return DeviceIdentity(**raw, contact=contact)
    except (OSError, ValueError, TypeError):
        return None


def registered_identity(data_dir: Path, demo: bool, url: str) -> DeviceIdentity | None:
    """This machine's identity when it should send: registered, and (the shop's device) ``[backoffice] url`` set."""
    identity = load_identity(identity_file(data_dir, demo))
    if identity is None or not (demo or url):
        return None
    return identity


def save_identity(path: Path, identity: DeviceIdentity) -> None:
    """Written atomically (temporary file, fsync, rename), readable by this user only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(identity), fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


async def register(
    url: str,
    code: str,
    *,
    data_dir: Path,
    demo: bool = False,
    kind: str = "till",
    name: str = "",
    client: httpx.AsyncClient | None = None,
) -> DeviceIdentity:
    """Registers this machine with the back office at ``url`` using enrolment ``code``; the token goes to the
    keyring, the identity to ``data_dir``. RegistrationError (or UnsafeUrl, SecretsUnavailable) in words."""
    base = checked_url(url, _("the back office's URL")).rstrip("/")
    body = {"enrolment_code": code.strip(), "name": name or socket.gethostname(), "kind": kind}
    own = client is None
    http = client or httpx.AsyncClient(timeout=REGISTER_TIMEOUT_S)
    try:
        reply = await http.post(f"{base}{API}{DEVICES}", json=body)
    except httpx.HTTPError as exc:
        log.info("back office registration: %s cannot be reached (%r)", base, exc)
        raise RegistrationError(_("the back office at {url} cannot be reached").format(url=base)) from None
    finally:
        if own:
            await http.aclose()
    if reply.status_code in (400, 401, 403, 404, 409, 410):
        raise RegistrationError(
            _("the back office refused the enrolment code (HTTP {status}): ask for a new one").format(
                status=reply.status_code
            )
        )
    try:
        answer = reply.json() if reply.is_success else {}
        device_id, token = answer.get("device_id"), answer.get("token")
        if not (isinstance(device_id, str) and device_id and isinstance(token, str) and token):
            raise TypeError
    except (ValueError, TypeError, AttributeError):
        raise RegistrationError(
            _("the back office at {url} gave no device id and token (HTTP {status})").format(
                url=base, status=reply.status_code
            )
        ) from None
    set_secret(secret_group(demo), TOKEN, token)
    identity = DeviceIdentity(device_id, base, now_iso(), demo)
    save_identity(identity_file(data_dir, demo), identity)
    return identity
