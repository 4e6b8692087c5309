"""Which sound the counter asks for when its sale ends, without Qt: ``[sound]`` read against the sale.

A sale the counter showed open and that ends settled asks for the paid chime; one that fails or expires,
for the failure buzz; a cancel (the cashier's own press, or "More time" re-issuing it) is silent, and so is a
sale that ended off the counter (recovery, a refund from the Journal). CounterModel calls ``sale_ended``
(``CounterModel.on_sale_ended``); the player is injected (``app.sound.SoundPlayer`` in the app, a recorder
in tests), so the rule is tested without a loudspeaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.config.settings import Settings
from app.domain.sale import Sale, SaleStatus
from app.sound import Cue

_FAILURES = frozenset({SaleStatus.FAILED, SaleStatus.EXPIRED})


class Player(Protocol):
    def play(self, cue: Cue, volume: int) -> object: ...


@dataclass(frozen=True)
class SoundChoice:
    """``[sound]``: which cues are on, and how loud (0 to 100)."""

    on_paid: bool = False
    on_failure: bool = False
    volume: int = 60

    @classmethod
    def of(cls, settings: Settings) -> SoundChoice:
        return cls(settings.sound_on_paid, settings.sound_on_failure, settings.sound_volume)

    @property
    def any(self) -> bool:
        return (self.on_paid or self.on_failure) and self.volume > 0


def cue_for(sale: Sale, choice: SoundChoice) -> Cue | None:
    """The cue for ``sale`` having just ended (None: silence)."""
    if sale.status is SaleStatus.SETTLED:
        return Cue.PAID if choice.on_paid else None
    if sale.status in _FAILURES:
        return Cue.FAILURE if choice.on_failure else None
    return None


class CounterSounds:
    """Plays the cue for each sale the counter saw end (``sale_ended``), as ``choice`` says."""

    def __init__(self, player: Player, choice: SoundChoice):
        self.player = player
        self.choice = choice

    def sale_ended(self, sale: Sale) -> Cue | None:
        cue = cue_for(sale, self.choice)
        if cue is not None:
            self.player.play(cue, self.choice.volume)
        return cue
