"""Kiosk mode's rules without Qt (app/screens/kiosk_model.py), touch sizes (app/screens/touch.py) and the
``[kiosk] enabled`` setting, the first of kind bool (app/config/settings.py, app/screens/settings_form.py)."""

from __future__ import annotations

import re
import tomllib

import pytest

from app.config import settings as st
from app.screens import settings_form
from app.screens.kiosk_model import CloseVerdict, ExitChoice, KioskModel, kiosk_configured
from app.screens.touch import FALLBACK_DPI, MIN_TOUCH_MM, mm_to_px, px_to_mm, touch_px, usable_dpi


def test_kiosk_mode_refuses_a_close_until_the_manager_quits():
    model = KioskModel(kiosk=True, pin_set=lambda: True)
    assert model.close_verdict() is CloseVerdict.REFUSE and model.keeps_full_screen()
    assert model.exit_needs_pin() and "leave" in model.exit_purpose()
    assert model.exit_choices() == (ExitChoice.LEAVE_KIOSK, ExitChoice.QUIT, ExitChoice.STAY)
    model.choose(ExitChoice.STAY)
    assert model.close_verdict() is CloseVerdict.REFUSE
    model.choose(ExitChoice.QUIT)
    assert model.close_verdict() is CloseVerdict.ALLOW and not model.keeps_full_screen()


def test_leaving_kiosk_mode_makes_a_normal_window():
    model = KioskModel(kiosk=True, pin_set=lambda: True)
    model.choose(ExitChoice.LEAVE_KIOSK)
    assert not model.kiosk and model.close_verdict() is CloseVerdict.ALLOW and not model.keeps_full_screen()
    assert model.exit_choices() == (ExitChoice.QUIT,) and "quit" in model.exit_purpose().lower()
    assert not model.swallows("Alt+F4")


def test_normal_mode_closes_and_exit_quits_with_the_pin_only_when_one_is_set():
    pin = {"set": False}
    model = KioskModel(kiosk=False, pin_set=lambda: pin["set"])
    assert model.close_verdict() is CloseVerdict.ALLOW and not model.keeps_full_screen()
    assert model.exit_choices() == (ExitChoice.QUIT,) and not model.exit_needs_pin()
    pin["set"] = True  # set in Settings while the till runs: asked from then on
    assert model.exit_needs_pin()


def test_the_app_releases_its_own_window_and_closing_chords_do_nothing_in_kiosk_mode():
    model = KioskModel(kiosk=True, pin_set=lambda: True)
    assert model.swallows("Alt+F4") and model.swallows("Ctrl+W") and not model.swallows("Ctrl+Q")
    assert not model.swallows("Esc")  # the counter's Esc cancels a sale: it stays
    model.release()
    assert model.close_verdict() is CloseVerdict.ALLOW


@pytest.mark.parametrize(
    ("dpi", "px"), [(96, 35), (100, 36), (133, 48), (160, 57), (25.4, 9), (254, 90)], ids=lambda v: str(v)
)
def test_millimetres_to_pixels_round_up(dpi, px):
    assert mm_to_px(9, dpi) == px
    assert round(px_to_mm(px, dpi), 9) >= 9 > px_to_mm(px - 1, dpi)


def test_a_screen_that_does_not_say_its_size_counts_as_96_dpi():
    for reported in (None, 0.0, -3.0, float("nan"), float("inf"), 12.0, 3000.0):
        assert usable_dpi(reported) == FALLBACK_DPI
    assert usable_dpi(133.0) == 133.0
    assert touch_px(None) == mm_to_px(MIN_TOUCH_MM, FALLBACK_DPI) == 35
    assert touch_px(160.0) == 57
    with pytest.raises(ValueError):
        mm_to_px(9, 0)


def test_the_kiosk_setting_is_a_toml_bool_saved_and_read_back(tmp_path):
    path = tmp_path / "config.toml"
    assert st.Settings().kiosk_enabled is False  # default: today's behaviour
    st.save(st.Settings(kiosk_enabled=True), path)
    text = path.read_text(encoding="utf-8")
    assert "[kiosk]\nenabled = true" in text and tomllib.loads(text)["kiosk"] == {"enabled": True}
    assert st.load(path) == st.Settings(kiosk_enabled=True) and kiosk_configured(path)
    for wrong, said in (('"yes"', "'yes' (text)"), ("1", "'1' (a number)")):
        path.write_text(f"[kiosk]\nenabled = {wrong}\n", encoding="utf-8")
        with pytest.raises(st.SettingsError, match=re.escape(f"kiosk.enabled must be true or false, not {said}")):
            st.load(path)
        assert not kiosk_configured(path)
    path.write_text("[checkout]\nexpires_in = true\n", encoding="utf-8")
    with pytest.raises(st.SettingsError, match="must be a whole number"):  # a bool is still no number
        st.load(path)


def test_kiosk_mode_is_read_from_a_file_that_cannot_be_used_otherwise(tmp_path):
    path = tmp_path / "config.toml"
    assert not kiosk_configured(path) and not kiosk_configured(None)
    path.write_text('[kiosk]\nenabled = true\n[store]\nmcc = "54"\n', encoding="utf-8")  # mcc: unusable
    with pytest.raises(st.SettingsError):
        st.load(path)
    assert kiosk_configured(path)  # the till stays in kiosk mode while the manager fixes Settings
    path.write_text("[kiosk\n", encoding="utf-8")
    assert not kiosk_configured(path)


def test_the_settings_form_reads_the_switch(tmp_path):
    path = tmp_path / "config.toml"
    assert settings_form.is_switch("kiosk.enabled") and not settings_form.is_switch("store.name")
    values = settings_form.initial_values(None)
    assert values["kiosk.enabled"] == "false"
    for text, want in (("true", True), ("On", True), ("no", False), ("", False)):
        got, errors = settings_form.read({**values, "kiosk.enabled": text}, "", path)
        assert errors == {} and got is not None and got.kiosk_enabled is want
    got, errors = settings_form.read({**values, "kiosk.enabled": "maybe"}, "", path)
    assert got is None and errors == {"kiosk.enabled": "kiosk.enabled must be true or false, not 'maybe'"}
    path.write_text('[kiosk]\nenabled = true\n[store]\nmcc = "54"\n', encoding="utf-8")
    salvaged, _ = settings_form.salvage(path, set(values))
    assert salvaged["kiosk.enabled"] == "true" and salvaged["store.mcc"] == "54"
