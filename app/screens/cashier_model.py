"""Who is at the counter, and the manager's list of cashiers, without Qt (cashiers by name).

``CashierModel`` (the counter's): with no active cashier (a one-person shop) nothing changes and nobody signs
in. Once there is one, the counter waits for a sign-in (``waiting``): the cashier picks their name and types
their PIN, checked by their own ``PinGate`` (``gate``: the PIN dialog runs it, with its lock-out); ``signed``
hands the controller the cashier (``controller.cashier``), so each sale, cancel and refund records them.
``sign_out`` (the counter's button; also switching cashiers) is refused while a sale is starting or open: its QR
stays in front of the customer until it ends. ``last_sales`` is the signed-in cashier's last sales (the journal's
``sales_by_cashier``), for the counter's "last sales at a glance".

``CashierAdmin`` (Settings, behind the manager PIN): the whole list (inactive ones after), add, rename, a new PIN,
deactivate; each through the operation runner, refused in words (a name taken, a PIN of the wrong length, two
PINs that differ). After each change the counter's model reads the list again (``on_roster``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from app.checkout.controller import CheckoutController
from app.config.pin import CASHIER_DIGITS, PinError, PinGate
from app.domain.sale import Sale
from app.i18n import _, lazy_
from app.storage.cashiers import Cashier, CashierError, Cashiers

from .observed import Listeners
from .operations import Busy, Level, Operations, Words

SIGN_OUT_REFUSED = lazy_("Finish the sale first.")  # its code stays in front of the customer until it ends
CHANGE = Words(lazy_("Not saved"), expected=(CashierError,))
READ = Words(lazy_("The cashiers could not be read"))


class _Listened:
    """A model's listeners (the view redraws on ``changed``)."""

    def __init__(self) -> None:
        self.message = ""
        self.message_level: str = Level.INFO
        self._listeners = Listeners()
        self.ops = Operations(self)
        self.loaded = False  # the cashiers were read once (Settings changes nothing before)

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def changed(self) -> None:
        self._listeners()

    def stop(self) -> None:
        """The screen went away: no more listeners, and what still runs is cancelled."""
        self._listeners.clear()
        self.ops.close()


class CashierModel(_Listened):
    """The counter's cashier: who is signed in, and whether the counter waits for one."""

    def __init__(self, store: Cashiers, controller: CheckoutController):
        super().__init__()
        self.store = store
        self.controller = controller
        self.cashiers: list[Cashier] = []  # the active ones, by name: the sign-in screen's buttons
        self.signed_in: Cashier | None = None

    @property
    def required(self) -> bool:
        """At least one active cashier: the counter asks for a sign-in."""
        return bool(self.cashiers)

    @property
    def waiting(self) -> bool:
        """The sign-in screen is shown instead of the counter."""
        return self.required and self.signed_in is None

    @property
    def label(self) -> str:
        return _("Cashier: {name}").format(name=self.signed_in.name) if self.signed_in else ""

    async def load(self) -> bool:
        """Read the active cashiers; a signed-in cashier who was renamed keeps on under the new name, one who
        was deactivated is signed out."""
        outcome = await self.ops.run(Busy.LOAD, self.store.roster(), READ, doing=None)
        if not outcome.ok or outcome.value is None:
            return False
        self.cashiers, self.loaded = outcome.value, True
        if self.signed_in is not None:
            now = next((c for c in self.cashiers if c.id == self.signed_in.id), None)
            self._set(now)
        self.changed()
        return True

    def gate(self, cashier: Cashier) -> PinGate:
        """The cashier's PIN check, with their own lock-out (the PIN dialog runs it)."""
        return self.store.gate(cashier)

    def signed(self, cashier: Cashier) -> None:
        """``cashier`` typed their PIN right (their gate said yes): the counter is theirs."""
        self._set(cashier)
        self.message = ""
        self.changed()

    def sign_out(self) -> bool:
        """Back to the sign-in screen; refused (in words) while a sale is starting or open."""
        current = self.controller.current
        if self.controller.starting or (current is not None and current.status.is_open):
            self.message, self.message_level = str(SIGN_OUT_REFUSED), Level.WARNING
            self.changed()
            return False
        self._set(None)
        self.message = ""
        self.changed()
        return True

    async def last_sales(self, n: int = 10) -> list[Sale]:
        """The signed-in cashier's last ``n`` sales, newest first (none when nobody is signed in)."""
        if self.signed_in is None:
            return []
        return await self.store.last_sales(self.signed_in.id, n)

    def _set(self, cashier: Cashier | None) -> None:
        self.signed_in = cashier
        self.controller.cashier = cashier


class CashierAdmin(_Listened):
    """The manager's list of cashiers (Settings). ``on_roster``: called after each change (the counter reads
    the list again)."""

    def __init__(self, store: Cashiers, *, on_roster: Callable[[], Awaitable[object]] | None = None):
        super().__init__()
        self.store = store
        self.on_roster = on_roster
        self.cashiers: list[Cashier] = []  # everyone: active ones first

    @property
    def busy(self) -> Busy | None:
        return self.ops.busy

    @property
    def digits(self) -> str:
        return _("{least} to {most} digits").format(least=CASHIER_DIGITS[0], most=CASHIER_DIGITS[1])

    async def load(self) -> bool:
        outcome = await self.ops.run(Busy.LOAD, self.store.roster(everyone=True), READ, doing=None)
        if outcome.ok and outcome.value is not None:
            self.cashiers, self.loaded = outcome.value, True
            self.changed()
        return outcome.ok

    async def add(self, name: str, pin: str, repeat: str) -> bool:
        return await self._change(self._add(name, pin, repeat), _("{name} added: they sign in at the counter."))

    async def rename(self, cashier: Cashier, name: str) -> bool:
        return await self._change(
            self.store.rename(cashier.id, name), _("Renamed to {name} (earlier sales keep the old name).")
        )

    async def set_pin(self, cashier: Cashier, pin: str, repeat: str) -> bool:
        return await self._change(self._new_pin(cashier, pin, repeat), _("{name} has a new PIN."))

    async def deactivate(self, cashier: Cashier) -> bool:
        return await self._change(
            self.store.deactivate(cashier.id), _("{name} can no longer sign in; their sales keep their name.")
        )

    async def _add(self, name: str, pin: str, repeat: str) -> Cashier:
        _same(pin, repeat)
        return await self.store.add(name, pin)

    async def _new_pin(self, cashier: Cashier, pin: str, repeat: str) -> Cashier:
        _same(pin, repeat)
        await self.store.set_pin(cashier.id, pin)
        return cashier

    async def _change(self, call: Coroutine[Any, Any, Cashier], done: str) -> bool:
        outcome = await self.ops.run(Busy.CASHIERS, call, CHANGE, doing=_("Saving…"))
        if not outcome.ok or outcome.value is None:
            return False
        await self.load()
        if self.on_roster is not None:
            await self.on_roster()  # the counter first: it may ask for a sign-in now, or no longer
        self.ops.say(done.format(name=outcome.value.name))
        return True


def _same(pin: str, repeat: str) -> None:
    if pin != repeat:
        raise PinError(_("the two PINs differ"))
