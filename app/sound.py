"""Short sounds at the counter (a chime when paid, a low buzz on failure), with no dependency and no Qt.

QtMultimedia is not in PySide6-Essentials (the full PySide6 adds about 200 MB to a bundle), and libraries
such as simpleaudio or pygame bring native code for two sounds. So: the tones are made here with the
standard library (``wave``: 16-bit mono PCM at 22 050 Hz, a few kilobytes each, the volume applied by
scaling the samples) and handed to the player the machine already has:

- Linux: ``pw-play`` (PipeWire), ``paplay`` (PulseAudio) or ``aplay`` (ALSA), the first found on PATH;
- macOS: ``afplay``;
- Windows: ``winsound`` (standard library), asynchronously.

Playing never blocks and never raises into the screen: the player is started and left to finish (children
are reaped at the next sound); with no player, or one that cannot start, TillQR is silent and says why once
in the log. Cost: 0 MB of dependencies; each WAV is written once per cue and volume to the folder given
(files 0600, folder 0700).
"""

from __future__ import annotations

import enum
import io
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger("tillqr.sound")

RATE = 22050  # samples per second: plenty for tones under 2 kHz, small files
MAX_PEAK = 0.6 * 32767  # the loudest sample at volume 100 (headroom: a speaker at full gain stays clean)
FADE_MS = 8  # attack and release of each note: no click at its edges
PLAYERS: tuple[tuple[str, ...], ...] = (("pw-play",), ("paplay",), ("aplay", "-q"), ("afplay",))


class Cue(enum.Enum):
    """What a sound says."""

    PAID = "paid"  # two rising notes
    FAILURE = "failure"  # a low double buzz


# (frequency in Hz, or 0 for silence; milliseconds; harmonics: 1 a sine, 3+ a buzz of odd harmonics)
_NOTES: dict[Cue, tuple[tuple[float, int, int], ...]] = {
    Cue.PAID: ((880.0, 110, 1), (1318.5, 190, 1)),  # A5 then E6: a "ding-dong" upwards
    Cue.FAILURE: ((196.0, 160, 5), (0.0, 60, 1), (196.0, 160, 5)),  # G3, buzzy, twice
}


def frames_of(cue: Cue) -> int:
    """How many samples ``cue`` lasts."""
    return sum(_frames(ms) for _f, ms, _h in _NOTES[cue])


def peak_of(volume: int) -> int:
    """The loudest sample at ``volume`` (0 to 100)."""
    if not 0 <= volume <= 100:
        raise ValueError(f"a volume is 0 to 100, not {volume}")
    return round(MAX_PEAK * volume / 100)


def tone_wav(cue: Cue, volume: int) -> bytes:
    """The WAV file (bytes) of ``cue`` at ``volume`` 0 to 100: its loudest sample is ``peak_of(volume)``."""
    peak = peak_of(volume)
    samples: list[int] = []
    for freq, ms, harmonics in _NOTES[cue]:
        samples += _note(freq, _frames(ms), harmonics, peak)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))
    return out.getvalue()


def _frames(ms: int) -> int:
    return round(RATE * ms / 1000)


def _note(freq: float, n: int, harmonics: int, peak: int) -> list[int]:
    """``n`` samples of a note (a sine, or odd harmonics for a buzz) with soft edges, its loudest at ``peak``."""
    if freq <= 0 or peak == 0:
        return [0] * n
    odd = range(1, harmonics + 1, 2)
    fade = max(1, _frames(FADE_MS))
    raw = [
        sum(math.sin(2 * math.pi * freq * k * i / RATE) / k for k in odd) * min(1.0, i / fade, (n - 1 - i) / fade)
        for i in range(n)
    ]
    top = max(abs(x) for x in raw)
    return [round(x * peak / top) for x in raw]


class SoundPlayer:
    """Plays cues through the machine's own player; ``play`` never blocks and never raises.

    ``folder``: where the WAV files are kept (None: a private temporary folder). ``command``: the player
    to use (default: the first of ``PLAYERS`` found by ``which``); on Windows ``winsound`` is used.
    """

    def __init__(
        self,
        folder: Path | None = None,
        *,
        command: Sequence[str] | None = None,
        which: Callable[[str], str | None] = shutil.which,
        platform: str = sys.platform,
    ):
        self._folder = folder
        self._command = tuple(command) if command is not None else None
        self._which = which
        self._platform = platform
        self._searched = command is not None
        self._silent_said = False
        self._running: list[subprocess.Popen[bytes]] = []

    @property
    def command(self) -> tuple[str, ...] | None:
        """The player's command line before the file (None: none found, sounds are off)."""
        if not self._searched:
            self._searched = True
            for candidate in PLAYERS:
                found = self._which(candidate[0])
                if found:
                    self._command = (found, *candidate[1:])
                    break
        return self._command

    def play(self, cue: Cue, volume: int) -> subprocess.Popen[bytes] | None:
        """Start playing ``cue`` at ``volume`` (0: nothing); the player's process when one was started."""
        if volume <= 0:
            return None
        try:
            path = self._file(cue, volume)
            if self._platform == "win32":
                self._winsound(path)
                return None
            command = self.command
            if command is None:
                self._silent("no sound player found (looked for pw-play, paplay, aplay, afplay); sounds are off")
                return None
            self._running = [p for p in self._running if p.poll() is None]  # reap the finished ones
            process = subprocess.Popen(
                [*command, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._running.append(process)
            return process
        except Exception as exc:  # noqa: BLE001 - a sound is never worth a failure at the counter
            self._silent(f"a sound could not be played ({exc}); sounds are off until the next start")
            self._command, self._searched = None, True
            return None

    def _file(self, cue: Cue, volume: int) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="tillqr-sounds-"))  # 0700
        path = self._folder / f"{cue.value}-{volume}.wav"
        if not path.exists():
            self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            data = tone_wav(cue, volume)
            fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(path.with_suffix(".tmp"), path)
        return path

    def _winsound(self, path: Path) -> None:
        if sys.platform == "win32":
            import winsound  # lazy: a Windows-only module

            winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_ASYNC | winsound.SND_NODEFAULT)

    def _silent(self, why: str) -> None:
        if not self._silent_said:
            self._silent_said = True
            log.warning(why)


__all__ = ["Cue", "SoundPlayer", "frames_of", "peak_of", "tone_wav"]
