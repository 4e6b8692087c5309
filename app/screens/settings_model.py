"""SettingsModel: the Settings screen's state and commands, without Qt (tested without a screen).

The form holds text per configuration key ("store.name", "provider.base_url", …, the keys of
``app.config.settings``); ``validate`` turns it into a ``Settings`` through ``settings.parse`` so
an error names the key it is about (``errors`` maps key → message, for the view to show next to
the field). The fields and those rules live in ``app.screens.settings_form``. Credentials typed into the form stay in memory until Save, which writes them to the
OS keyring only (``app.config.secrets``); when no keyring is usable, or only one that forgets them at a
restart, they are refused in words that say what to set up, and nothing is written (no plain text). The screen never shows a stored secret back: only "set" /
"not set".

"Test connection" makes one harmless call per provider, through ``create_provider`` with the
form's (unsaved) values: J.P. Morgan reads the configured payment link (or an unknown one: a 404
proves the token was accepted), Razorpay lists one QR code, Depay and Pix read an unknown
order / QR code (404 = credentials accepted, 401 = refused); the probe and its words live in
``app.screens.connection_test``. "Create payment link" (providers
with STATIC_LINK) creates the counter's static link and fills ``provider.payment_link_id``.
``sticker`` lays out the printed sticker of that link (the Qt painting is the view's job). The
three provider calls run through the screen's operation runner (``app.screens.operations``):
``busy`` says which one is in flight, its failure is said in words, its result handed back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from app.config import settings as settings_mod
from app.config.pin import PinError, PinGate, hash_pin, legacy, make_pepper, manager_gate, peppered
from app.config.secrets import SecretsUnavailable, get_secret, set_secret
from app.config.settings import Settings, SettingsError
from app.i18n import _, set_language
from app.providers.base import Capability, LinkInfo, LinkingProvider, PaymentProvider, linking
from app.providers.registry import BY_NAME
from app.providers.spec import ProviderSpec
from app.screens import connection_test, settings_form
from app.screens.observed import Listeners
from app.screens.operations import Busy, Level, Operations
from app.screens.settings_form import FIELDS, SECTIONS, Field
from app.screens.settings_words import (
    COUNTRY_LANG,
    LINK,
    PIN_ADVICE,
    STICKER,
    TEST,
    WORKING,
    CredentialState,
    pin_ready,
    saved,
    setup_advice,
    sticker_done,
)

if TYPE_CHECKING:
    from app.qr.sticker import Sticker  # lazy: type only


class SettingsModel:
    def __init__(
        self, config_file: Path, *, problem: str | None = None, transport: httpx.AsyncBaseTransport | None = None
    ):
        """``problem``: why the configuration could not be used (shown at the top of the screen);
        ``transport``: for tests, the in-process sandbox."""
        self.config_file = Path(config_file)
        self.transport = transport
        self.problem = problem
        self.errors: dict[str, str] = {}
        self.message = ""
        self.message_level: str = Level.INFO
        self._listeners = Listeners()
        self.ops = Operations(self)  # test connection, create link, sticker: busy, words, result
        self.pending_credentials: dict[str, str] = {}
        self._stored: dict[tuple[str, str], CredentialState] = {}  # (provider, key): the keyring read once
        self.link: LinkInfo | None = None
        self.demo_link: LinkInfo | None = None  # demo mode: the sandbox's counter link, its sticker printable
        self.saved = False
        current: Settings | None = None
        try:
            current = settings_mod.load(self.config_file)
        except SettingsError as exc:
            self.problem = problem or str(exc)
            self.errors = settings_form.errors_of(exc)
        # what the saved store still lacks before its provider is used (a demo till until then)
        self.unfinished: list[settings_mod.MissingSetting] = settings_mod.missing_setup(current) if current else []
        self.stored_pin_hash = current.pin_hash if current else ""
        self.pin_hash = self.stored_pin_hash
        # the lock-out survives a restart: its state sits beside config.toml (shared with the command line)
        self.gate: PinGate = manager_gate(self.stored_pin_hash, self.config_file)
        self.values: dict[str, str] = settings_form.initial_values(current)
        if current is None and self.problem:  # keep what can still be read of a broken file
            self._salvage()

    # -- the form ----------------------------------------------------------------------
    @property
    def provider(self) -> str:
        return self.values["provider.name"]

    @property
    def spec(self) -> ProviderSpec | None:
        """The chosen provider's spec; None while the form names none TillQR has."""
        return BY_NAME.get(self.provider)

    def visible_fields(self) -> list[Field]:
        return [f for f in FIELDS if not f.providers or self.provider in f.providers]

    def set(self, key: str, text: str) -> None:
        if key not in self.values:
            raise KeyError(key)
        if key == "provider.name" and text != self.values[key]:
            self.pending_credentials.clear()  # another provider's secrets
            self.link = None
        if key == "provider.payment_link_id" and self.link and self.link.link_id != text:
            self.link = None
        self.values[key] = text
        self.errors.pop(key, None)

    def length_note(self, key: str) -> str:
        return settings_form.length_note(key, self.values[key])

    def validate(self) -> Settings | None:
        """The form as Settings, or None with ``errors`` (key → message) filled."""
        settings, self.errors = settings_form.read(self.values, self.pin_hash, self.config_file)
        return settings

    # -- credentials -------------------------------------------------------------------
    def credential_keys(self) -> tuple[str, ...]:
        return self.spec.secrets if self.spec else ()

    def set_credential(self, name: str, value: str) -> None:
        if name not in self.credential_keys():
            raise KeyError(name)
        value = value.strip()
        if value and not (value.isascii() and value.isprintable()):
            raise ValueError(
                _(
                    "{name} has characters no provider key has (spaces inside, accents, control characters): "
                    "check what was pasted"
                ).format(name=name)
            )
        if value:
            self.pending_credentials[name] = value
        else:
            self.pending_credentials.pop(name, None)

    def credential_state(self) -> dict[str, CredentialState]:
        """name → typed, not saved yet / set / not set / keyring unavailable (never the value)."""
        out = {}
        for name in self.credential_keys():
            if name in self.pending_credentials:
                out[name] = CredentialState.TYPED
                continue
            key = (self.provider, name)
            if key not in self._stored:  # one keyring read per credential, not one per keystroke
                try:
                    found = get_secret(self.provider, name)
                    self._stored[key] = CredentialState.SET if found else CredentialState.NOT_SET
                except SecretsUnavailable:
                    self._stored[key] = CredentialState.UNAVAILABLE
            out[name] = self._stored[key]
        return out

    def _credentials(self) -> dict[str, str]:
        creds: dict[str, str] = {}
        for name in self.credential_keys():
            value = self.pending_credentials.get(name)
            if value is None:
                value = get_secret(self.provider, name)  # SecretsUnavailable: the caller says so
            if value:
                creds[name] = value
            elif self.spec and name in self.spec.required_secrets:
                raise ValueError(
                    _("no {name} for {provider}: type it under Credentials").format(name=name, provider=self.provider)
                )
        return creds

    @property
    def setup_advice(self) -> str | None:
        """For the manager, what the saved setup still lacks, by the fields' names; None once complete."""
        if not self.unfinished:
            return None
        labels = {f.key: str(f.label) for f in FIELDS}
        return setup_advice([labels.get(m.key, m.key) for m in self.unfinished])

    # -- the manager PIN ---------------------------------------------------------------
    @property
    def pin_configured(self) -> bool:
        return bool(self.pin_hash)

    @property
    def pin_advice(self) -> str | None:
        """Why the stored PIN should be changed (set under older rules), in words; None when it is fine."""
        if self.pin_hash and legacy(self.pin_hash):
            return str(PIN_ADVICE)
        return None

    def set_pin(self, new: str, repeat: str, current: str = "") -> str:
        """Sets (first run) or changes the PIN; kept with the next Save. Raises PinError in words.

        Where a keyring is usable the hash is peppered with its secret (app.config.pin); without one
        the plain hash is kept and said."""
        if new != repeat:
            raise PinError(_("the two new PINs differ"))
        if self.gate.configured:
            self.gate.check(current)
        self.pin_hash = hash_pin(new, pepper=make_pepper())
        self.errors.pop("manager.pin_hash", None)
        self.message = pin_ready(peppered(self.pin_hash))
        return self.message

    # -- saving ------------------------------------------------------------------------
    def save(self) -> bool:
        """Validate, write config.toml (no secrets in it) and the typed credentials to the keyring.

        Returns True when everything was stored; ``message`` and ``errors`` say what went wrong."""
        self.saved = False
        s = self.validate()
        if s is None:
            self.message = _("Not saved: {reason}").format(reason="; ".join(self.errors.values()))
            return False
        if not s.pin_hash:
            self.errors["manager.pin_hash"] = _("set a manager PIN first")
            self.message = _("Not saved: set a manager PIN first (it guards this screen)")
            return False
        if self.pending_credentials:
            try:
                for name, value in self.pending_credentials.items():
                    set_secret(s.provider, name, value)
                    self._stored[(s.provider, name)] = CredentialState.SET
            except SecretsUnavailable as exc:
                self.errors["credentials"] = _("credentials not stored: {reason}").format(reason=exc)
                self.message = _("Not saved: {reason}").format(reason=exc)
                return False
            self.pending_credentials.clear()
        try:
            aside = settings_mod.save(s, self.config_file)
        except SettingsError as exc:
            self.errors = settings_form.errors_of(exc)
            self.message = _("Not saved: {reason}").format(reason=exc)
            return False
        except OSError as exc:
            self.message = _("Not saved: {path} cannot be written ({reason})").format(
                path=self.config_file, reason=exc.strerror
            )
            return False
        set_language(s.language)  # words and formats at once: the screens hear of it, a sale goes on
        self.stored_pin_hash = s.pin_hash
        self.gate.stored = s.pin_hash
        self.unfinished = settings_mod.missing_setup(s)
        self.problem = None
        self.saved = True
        self.message = saved(aside)
        return True

    # -- provider calls ----------------------------------------------------------------
    def _provider(self) -> tuple[Settings, PaymentProvider]:
        s = self.validate()
        if s is None:
            raise ValueError("; ".join(self.errors.values()))
        if not s.base_url:
            self.errors["provider.base_url"] = _("fill in the provider's Base URL")
            raise ValueError(_("fill in the provider's Base URL first"))
        spec = BY_NAME[s.provider]  # validate() accepts only the registry's names
        options: dict[str, Any] = spec.client_options(s)
        prov = spec.create(base_url=s.base_url, credentials=self._credentials(), transport=self.transport, **options)
        return s, prov

    # -- the screen's operations (app.screens.operations: busy, words and result in one place) --------
    @property
    def busy(self) -> Busy | None:
        """What the screen is waiting for (the view disables its buttons meanwhile)."""
        return self.ops.busy

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def changed(self) -> None:
        self._listeners()

    def _said(self, ok: bool, text: str) -> tuple[bool, str]:
        self.message, self.message_level = text, Level.INFO if ok else Level.ERROR
        self.changed()
        return ok, text

    async def test_connection(self) -> tuple[bool, str]:
        """One harmless call; (ok, what happened in words). Also left in ``message``."""
        try:
            s, prov = self._provider()
        except (ValueError, SecretsUnavailable) as exc:
            return self._said(False, _("Cannot test: {reason}").format(reason=exc))
        test = connection_test.check(prov, s, self._found_link)
        outcome = await self.ops.run(Busy.TEST, test, TEST, doing=str(WORKING))
        return self._said(*outcome.value) if outcome.value is not None else (False, self.message)

    def _found_link(self, link: LinkInfo) -> None:
        self.link = link

    def can_create_link(self) -> bool:
        return self.spec is not None and Capability.STATIC_LINK in self.spec.capabilities

    async def create_payment_link(self) -> tuple[bool, str]:
        """Creates the counter's static link and fills provider.payment_link_id (Save keeps it)."""
        try:
            s, prov = self._provider()
        except (ValueError, SecretsUnavailable) as exc:
            return self._said(False, _("Cannot create the link: {reason}").format(reason=exc))
        if Capability.STATIC_LINK not in prov.capabilities:
            await prov.aclose()
            said = _("{provider} has no static payment links: each sale shows its own QR").format(provider=s.provider)
            return self._said(False, said)
        outcome = await self.ops.run(Busy.LINK, _create_link(linking(prov), s.store_name), LINK, doing=str(WORKING))
        link = outcome.value
        if link is None:
            return False, self.message
        self.link = link
        self.values["provider.payment_link_id"] = link.link_id
        self.errors.pop("provider.payment_link_id", None)
        return self._said(
            True, _("Payment link {link} created: Save, then print its sticker").format(link=link.link_id)
        )

    def can_print_sticker(self) -> bool:
        """A sticker can be printed: the provider has static links, or the demo's link is there."""
        return self.can_create_link() or self.demo_link is not None

    async def print_sticker_on(self, paint: Callable[[Sticker], list[str]], printer: str) -> tuple[bool, str]:
        """The counter sticker laid out here and painted by ``paint(sticker)`` on ``printer`` (the view's print
        dialog's choice: its name in the words said; ``paint`` returns its warnings)."""
        outcome = await self.ops.run(Busy.STICKER, self.sticker(), STICKER, doing=str(WORKING))
        if outcome.value is None:
            return False, self.message
        try:
            warnings = paint(outcome.value)
        except OSError as exc:
            return self._said(
                False, _("The sticker was not printed on {printer}: {reason}").format(printer=printer, reason=exc)
            )
        return self._said(True, sticker_done(True, printer, warnings))

    async def print_sticker(self, path: Path, write: Callable[[Sticker, Path], list[str]]) -> tuple[bool, str]:
        """The counter sticker to ``path`` (PNG, else PDF): laid out here, painted by ``write(sticker,
        target)`` (the view's Qt painting; returns its warnings)."""
        outcome = await self.ops.run(Busy.STICKER, self.sticker(), STICKER, doing=str(WORKING))
        if outcome.value is None:
            return False, self.message
        target = path if path.suffix.lower() in (".png", ".pdf") else path.with_suffix(".pdf")
        try:
            warnings = write(outcome.value, target)
        except OSError as exc:
            return self._said(
                False, _("The sticker was not written to {path}: {reason}").format(path=target, reason=exc.strerror)
            )
        return self._said(True, sticker_done(False, target, warnings))

    async def sticker(self) -> Sticker:
        """The layout (app.qr.sticker.Sticker) of the counter sticker for the configured link."""
        from app.qr.sticker import layout  # lazy: the sticker's layout only when one is printed

        if self.demo_link is not None and not self.values.get("provider.payment_link_id"):
            self.link = self.demo_link
        elif self.link is None or self.link.link_id != self.values.get("provider.payment_link_id"):
            if not self.values.get("provider.payment_link_id"):
                raise ValueError(_("no payment link yet: create it first"))
            s, prov = self._provider()
            try:
                if not isinstance(prov, LinkingProvider):
                    raise ValueError(_("{provider} has no static payment links").format(provider=s.provider))
                self.link = await prov.get_link(self.values["provider.payment_link_id"])
            finally:
                await prov.aclose()
        lang = COUNTRY_LANG.get(self.values["store.country"].strip().upper(), "en")
        return layout(self.link.payload, store_name=self.values["store.name"].strip(), lang=lang)

    # -- helpers -----------------------------------------------------------------------
    def _salvage(self) -> None:
        """Fill the form with whatever values of a broken file are readable (so fixing is one edit)."""
        values, pin_hash = settings_form.salvage(self.config_file, set(self.values))
        self.values.update(values)
        if pin_hash is not None:
            self.pin_hash = self.stored_pin_hash = pin_hash
            self.gate.stored = pin_hash


async def _create_link(prov: LinkingProvider, store_name: str) -> LinkInfo:
    try:
        return await prov.create_link(f"tillqr-link-{uuid.uuid4().hex}", f"TillQR counter — {store_name}")
    finally:
        await prov.aclose()


__all__ = ["FIELDS", "Field", "PinError", "SettingsModel", "SECTIONS", "replace"]
