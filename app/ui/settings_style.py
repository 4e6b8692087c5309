"""The Settings page's style sheet (app/ui/settings_view.py), apart from its widgets."""

STYLE = """
QWidget#settings { background: #f4f6f8; }
QGroupBox { font-weight: bold; border: 2px solid #cbd2d9; border-radius: 8px; margin-top: 14px; padding: 8px 8px 4px; background: #ffffff; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }
QLineEdit, QComboBox { padding: 3px 8px; min-height: 30px; background: #ffffff; border: 2px solid #9aa5b1; border-radius: 6px; }
QLineEdit:focus, QComboBox:focus { border-color: #0b57d0; }
QLineEdit[bad="true"], QComboBox[bad="true"] { border-color: #b00020; }
QLabel#fieldError, QLabel#sectionError { color: #b00020; font-size: 15px; font-weight: bold; }
QLabel#fieldHint { color: #52606d; font-size: 14px; }
QLabel#problem { background: #b00020; color: #ffffff; font-weight: bold; padding: 8px 12px; border-radius: 6px; }
QLabel#firstRun { background: #ffd400; color: #000000; font-weight: bold; padding: 8px 12px; border: 2px solid #000; border-radius: 6px; }
QLabel#outcome { font-weight: bold; padding: 4px 2px; }
QLabel#outcome[ok="true"] { color: #1b7f3b; }
QLabel#outcome[ok="false"] { color: #b00020; }
QWidget#actions { background: #e4e7eb; border-top: 2px solid #cbd2d9; }
QPushButton#save { background: #1b7f3b; color: #ffffff; border-color: #10592a; font-weight: bold; }
QPushButton#save:disabled { background: #d4e6da; color: #2d4a37; }
QWidget#settings[compact="true"] QPushButton { padding: 3px 8px; font-size: 16px; }
QWidget#settings[compact="true"] QLineEdit, QWidget#settings[compact="true"] QComboBox { min-height: 24px; }
"""

__all__ = ["STYLE"]
