"""The field screen's style sheet (app/ui/field_view.py), kept apart from its code."""

from __future__ import annotations

STYLE = """
QWidget#field { background: #f4f6f8; }
QFrame#fieldBanner { border-radius: 8px; border: 2px solid #52606d; background: #e4e7eb; }
QFrame#fieldBanner QLabel { color: #1f2933; }
QFrame#fieldBanner[connection="online"] { background: #d8f0df; border-color: #1e7b3c; }
QFrame#fieldBanner[connection="online"] QLabel { color: #0d4a22; }
QFrame#fieldBanner[connection="offline"] { background: #fff0c7; border-color: #b26a00; }
QFrame#fieldBanner[connection="offline"] QLabel { color: #563900; }
QFrame#fieldBanner[connection="syncing"] { background: #dce9fa; border-color: #0b57d0; }
QFrame#fieldBanner[connection="syncing"] QLabel { color: #0b3d75; }
QLabel#bannerState { font-size: 20px; font-weight: bold; }
QLabel#bannerCounts { font-size: 16px; }
QWidget#field QPushButton { font-size: 16px; min-height: 32px; padding: 2px 12px; }
QPushButton#syncButton, QPushButton#recordButton, QPushButton#demoRoute {
    background: #0b57d0; color: #ffffff; border: 2px solid #083f96; border-radius: 6px; font-weight: bold;
}
QPushButton#syncButton:disabled, QPushButton#recordButton:disabled {
    background: #d5deea; color: #52606d; border-color: #c0cad6;
}
QLineEdit#fieldSearch, QLineEdit#dropNote {
    font-size: 16px; padding: 3px 8px; min-height: 30px; background: #ffffff;
    border: 2px solid #9aa5b1; border-radius: 6px;
}
QLineEdit#fieldSearch:focus, QLineEdit#dropNote:focus, QLineEdit#reading:focus { border-color: #0b57d0; }
QLabel#fieldSummary, QLabel#lastSync { font-size: 15px; color: #323f4b; }
QTableView#bills {
    font-size: 15px; background: #ffffff; border: 2px solid #cbd2d9; border-radius: 6px; gridline-color: #e4e7eb;
    selection-background-color: #0b57d0; selection-color: #ffffff;
}
QTableView#bills QHeaderView::section {
    font-size: 14px; font-weight: bold; background: #e4e7eb; color: #1f2933; padding: 4px 6px;
    border: none; border-right: 1px solid #cbd2d9;
}
QScrollArea#formScroll { background: #ffffff; border: 2px solid #cbd2d9; border-radius: 8px; }
QFrame#readingForm { background: #ffffff; }
QLabel#billTitle { font-size: 20px; font-weight: bold; color: #1f2933; }
QLabel#stateChip { font-size: 14px; font-weight: bold; padding: 2px 8px; border-radius: 6px; }
QLabel#stateChip[state="new"] { background: #e4e7eb; color: #1f2933; }
QLabel#stateChip[state="pending"] { background: #fff0c7; color: #563900; }
QLabel#stateChip[state="synced"] { background: #d8f0df; color: #0d4a22; }
QLabel#stateChip[state="conflict"] { background: #fde3e7; color: #7a0013; }
QLabel#billCustomer { font-size: 17px; color: #111111; }
QLabel#billAddress, QLabel#billMeter, QLabel#billRecorded { font-size: 14px; color: #3e4c59; }
QLabel#billState { font-size: 14px; color: #1f2933; background: #f0f4f8; border-radius: 6px; padding: 3px 6px; }
QLabel#readingCaption { font-size: 15px; font-weight: bold; color: #1f2933; margin-top: 4px; }
QLineEdit#reading {
    font-size: 28px; font-weight: bold; padding: 2px 10px; min-height: 44px; background: #ffffff; color: #111111;
    border: 2px solid #9aa5b1; border-radius: 6px; font-family: "DejaVu Sans Mono", monospace;
}
QCheckBox#confirmReset { font-size: 14px; color: #563900; }
QLabel#readingProblem {
    font-size: 15px; background: #fde8eb; color: #8a0016; border: 2px solid #b00020; border-radius: 6px; padding: 4px 6px;
}
QLabel#chargePreview { font-size: 15px; color: #1f2933; background: #f0f4f8; border-radius: 6px; padding: 4px 6px; }
QFrame#conflictBox { background: #fde3e7; border: 2px solid #b00020; border-radius: 8px; }
QLabel#conflictTitle { font-size: 15px; font-weight: bold; color: #7a0013; }
QLabel#fieldMessage { font-size: 15px; padding: 3px 8px; border-radius: 6px; }
QLabel#fieldMessage[level="error"] { background: #fde8eb; color: #8a0016; border: 2px solid #b00020; }
QLabel#fieldMessage[level="info"] { background: #e6f0fb; color: #0b3d75; border: 2px solid #0b57d0; }
QLabel#fieldMessage[level="warning"] { background: #fff4d6; color: #5c3d00; border: 2px solid #b26a00; }
QProgressBar#syncProgress {
    min-height: 22px; font-size: 14px; color: #1f2933; text-align: center; background: #ffffff;
    border: 1px solid #9aa5b1; border-radius: 4px;
}
QProgressBar#syncProgress::chunk { background: #8fb8f2; }
QLabel#emptyNote { font-size: 17px; color: #323f4b; }
"""
