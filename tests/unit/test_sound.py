"""app.sound: the WAV tones (read back with ``wave``) and the player, started for real through a script on PATH."""

from __future__ import annotations

import io
import logging
import os
import stat
import struct
import sys
import wave
from pathlib import Path

import pytest

from app.sound import RATE, Cue, SoundPlayer, frames_of, peak_of, tone_wav


def samples(data: bytes) -> tuple[wave._wave_params, list[int]]:
    with wave.open(io.BytesIO(data)) as w:
        raw = w.readframes(w.getnframes())
        return w.getparams(), list(struct.unpack(f"<{len(raw) // 2}h", raw))


@pytest.mark.parametrize("cue", list(Cue))
@pytest.mark.parametrize("volume", [1, 35, 100])
def test_each_cue_is_a_short_mono_wav_whose_loudest_sample_is_the_volume(cue, volume):
    w, pcm = samples(tone_wav(cue, volume))
    assert (w.nchannels, w.sampwidth, w.framerate, w.comptype) == (1, 2, RATE, "NONE")
    assert w.nframes == frames_of(cue) == len(pcm)
    assert 0.2 < w.nframes / RATE < 0.5  # short: a cue, not a tune
    assert max(abs(s) for s in pcm) == peak_of(volume)
    assert pcm[0] == 0 and pcm[-1] == 0  # soft edges: no click


def test_volume_scales_the_samples_and_zero_is_silence():
    _, quiet = samples(tone_wav(Cue.PAID, 20))
    _, loud = samples(tone_wav(Cue.PAID, 80))
    assert max(loud) > 3.5 * max(quiet)
    _, silent = samples(tone_wav(Cue.FAILURE, 0))
    assert set(silent) == {0}
    with pytest.raises(ValueError, match="0 to 100"):
        tone_wav(Cue.PAID, 101)


def test_paid_rises_and_failure_is_low():
    """The chime's second note is higher than its first; the buzz sits far below both (zero crossings)."""

    def crossings(pcm: list[int]) -> int:
        return sum(1 for a, b in zip(pcm, pcm[1:], strict=False) if a < 0 <= b)

    _, paid = samples(tone_wav(Cue.PAID, 60))
    first, second = paid[: len(paid) // 3], paid[-len(paid) // 3 :]
    assert crossings(second) > crossings(first)
    _, buzz = samples(tone_wav(Cue.FAILURE, 60))
    fundamental = crossings(buzz[: int(0.15 * RATE)]) / 0.15
    assert 150 < fundamental < 260  # about G3 (196 Hz), well below the chime's 880 Hz


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as the player")
def test_the_player_hands_a_wav_file_to_the_machines_player(tmp_path):
    """A stand-in for aplay on PATH (a real process) copies what it is given; the copy is the cue's WAV."""
    got = tmp_path / "played.wav"
    script = tmp_path / "bin" / "aplay"
    script.parent.mkdir()
    script.write_text(f'#!/bin/sh\nfor last; do :; done\ncp "$last" "{got}"\n')
    script.chmod(0o700)
    player = SoundPlayer(tmp_path / "sounds", which=lambda name: str(script) if name == "aplay" else None)
    assert player.command == (str(script), "-q")
    process = player.play(Cue.PAID, 40)
    assert process is not None and process.wait(timeout=10) == 0
    assert got.read_bytes() == tone_wav(Cue.PAID, 40)
    kept = tmp_path / "sounds" / "paid-40.wav"
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(kept.parent).st_mode) == 0o700


def test_no_player_is_silence_said_once_in_the_log(tmp_path, caplog):
    player = SoundPlayer(tmp_path, which=lambda name: None, platform="linux")
    with caplog.at_level(logging.WARNING, logger="tillqr.sound"):
        assert player.play(Cue.PAID, 60) is None
        assert player.play(Cue.FAILURE, 60) is None
    assert [r.getMessage() for r in caplog.records].count(
        "no sound player found (looked for pw-play, paplay, aplay, afplay); sounds are off"
    ) == 1


def test_a_player_that_cannot_start_never_raises(tmp_path, caplog):
    player = SoundPlayer(tmp_path, command=[str(tmp_path / "no-such-player")], platform="linux")
    with caplog.at_level(logging.WARNING, logger="tillqr.sound"):
        assert player.play(Cue.PAID, 60) is None
        assert player.play(Cue.PAID, 60) is None
    assert len(caplog.records) == 1 and "sounds are off" in caplog.records[0].getMessage()


def test_volume_zero_starts_nothing(tmp_path):
    player = SoundPlayer(tmp_path, which=lambda name: "/bin/true")
    assert player.play(Cue.PAID, 0) is None
    assert not list(Path(tmp_path).iterdir())


def test_the_sound_section_of_config_toml(tmp_path):
    from app.config.settings import Settings, SettingsError, dumps, load, parse
    from app.screens.counter_sounds import SoundChoice

    path = tmp_path / "config.toml"
    chosen = parse({"sound": {"on_paid": True, "on_failure": False, "volume": 35}}, path)
    assert SoundChoice.of(chosen) == SoundChoice(on_paid=True, on_failure=False, volume=35)
    assert SoundChoice.of(Settings()) == SoundChoice(on_paid=False, on_failure=False, volume=60)  # as before: silent
    path.write_text(dumps(chosen), encoding="utf-8")
    assert load(path) == chosen
    with pytest.raises(SettingsError, match=r"sound.volume must be between 0 \(silent\) and 100, not 101"):
        parse({"sound": {"volume": 101}}, path)
    with pytest.raises(SettingsError, match="sound.on_paid must be true or false"):
        parse({"sound": {"on_paid": "yes"}}, path)
