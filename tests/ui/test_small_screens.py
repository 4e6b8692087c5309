"""The manager's screens at the kiosk sizes (800×480 and 1280×800): the PIN dialog sits under the
header with margins, whole; a configuration that cannot be used is said first and in view. And the
screenshot scripts take ``--help`` as help, not as a folder to write into."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QWidget

from app.config import settings as st
from app.config.pin import hash_pin

pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("ring")]

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(800, 480), (1280, 800)]


def global_rect(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def shown_rect(widget: QWidget) -> QRect:
    """The part of ``widget`` its ancestors do not clip (a scroll area's viewport, the window), global."""
    rect = global_rect(widget)
    parent = widget.parentWidget()
    while parent is not None:
        rect = rect.intersected(global_rect(parent))
        if parent.isWindow():
            break
        parent = parent.parentWidget()
    return rect


def assert_well_placed(dialog, window) -> None:
    box, win = global_rect(dialog), global_rect(window)
    header_bottom = global_rect(window.store_label.parentWidget()).bottom()
    assert win.contains(box), (box, win)
    assert box.top() > header_bottom, "the dialog covers the header"
    assert dialog.height() >= dialog.minimumSizeHint().height()  # nothing squeezed
    title = global_rect(dialog.title)
    assert title.top() - box.top() >= 10, "the title sits flush against the dialog's top edge"
    assert dialog.title.height() >= dialog.title.heightForWidth(dialog.title.width())  # the title is whole
    for button in (dialog.ok_button, dialog.cancel_button):
        assert box.contains(global_rect(button)) and box.bottom() - global_rect(button).bottom() >= 8


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_pin_dialog_sits_under_the_header_with_margins(window_for, tmp_path, qtbot, size, ring):
    home = tmp_path / "home"
    configured = st.Settings(
        store_name="Padaria Central",
        pin_hash=hash_pin("135790"),
        base_url="https://api.example.test/jpmorgan",
        payment_link_id="L1",
    )
    st.save(configured, home / "config" / "config.toml")
    window = window_for(home, size)
    # asked at start-up (no credentials in the keyring yet), before the window had its size: placed again once it has
    dialog = window.pin_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: global_rect(dialog).top() > global_rect(window.stack).top())
    assert_well_placed(dialog, window)
    dialog.reject()
    qtbot.waitUntil(lambda: window.pin_dialog is None)
    window.request_page("settings")  # and the navigation's one
    dialog = window.pin_dialog
    qtbot.waitExposed(dialog)
    assert_well_placed(dialog, window)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_broken_config_is_said_first_and_in_view(window_for, tmp_path, qtbot, size):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        '[store]\nname = "Padaria Central"\ncity = "SAO PAULO"\nmcc = "54"\n', encoding="utf-8"
    )
    window = window_for(home, size)
    view = window.settings
    assert window.current_page() == "settings"
    qtbot.wait(50)  # the page reveals its first bad field once laid out
    assert view.first_run.isVisibleTo(view)  # no PIN yet: both banners are up
    problem = view.problem
    assert problem.isVisible() and "store.mcc" in problem.text()
    assert shown_rect(problem) == global_rect(problem), "the problem banner is (partly) out of view"
    # the most severe first: above the scrolling form (the first-run hint, then the fields), never scrolled away
    assert global_rect(problem).bottom() < global_rect(view.scroll_area.viewport()).top()
    mcc = view.rows["store.mcc"]
    assert shown_rect(mcc.error) == global_rect(mcc.error)  # and the field it names is in view too


@pytest.mark.parametrize(
    "module", ["settings_screenshots", "screenshots", "journal_screenshots", "field_screenshots", "kiosk_screenshots"]
)
def test_screenshot_scripts_answer_help(tmp_path, module):
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    done = subprocess.run(
        [sys.executable, "-m", f"tools.{module}", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:") and "OUT_DIR" in done.stdout
    assert list(tmp_path.iterdir()) == []  # no ./--help/ folder, no PNG


def test_a_long_store_name_ends_in_an_ellipsis_not_mid_letter(qtbot):
    from app.ui.elided_label import ElidedLabel

    label = ElidedLabel("Padaria e Confeitaria Central de Quixeramobim")
    qtbot.addWidget(label)
    label.resize(120, 30)
    label.show()
    qtbot.waitUntil(lambda: label.text() != label.full_text)
    assert label.text().endswith("…") and label.full_text.startswith(label.text()[:-1])
    assert label.accessibleName() == label.full_text
    label.resize(2000, 30)
    qtbot.waitUntil(lambda: label.text() == label.full_text)  # room again: the whole name
