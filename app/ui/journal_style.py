"""The journal screen's style sheet (app/ui/journal_view.py): large type for a till, a tone per status, and a
compact form under 600 px of height."""

STYLE = """
QWidget#journal { background: #f4f6f8; }
QWidget#journal QComboBox, QWidget#journal QDateEdit, QLineEdit#journalSearch, QLineEdit#refundField {
    font-size: 17px; padding: 3px 8px; min-height: 32px; background: #ffffff;
    border: 2px solid #9aa5b1; border-radius: 6px;
}
QLineEdit#journalSearch:focus, QLineEdit#refundField:focus { border-color: #0b57d0; }
QWidget#journal QPushButton { font-size: 17px; min-height: 34px; padding: 2px 12px; }
QPushButton#refundStart, QPushButton#refundConfirm {
    background: #5e35b1; color: #ffffff; border: 2px solid #3f237a; font-weight: bold;
}
QPushButton#refundStart:disabled, QPushButton#refundConfirm:disabled {
    background: #ddd6ea; color: #564f63; border-color: #c9bfdc;
}
QLabel#journalSummary { font-size: 16px; color: #323f4b; }
QTableView#sales {
    font-size: 15px; background: #ffffff; alternate-background-color: #f7f9fb;
    border: 2px solid #cbd2d9; border-radius: 6px; gridline-color: #e4e7eb;
    selection-background-color: #0b57d0; selection-color: #ffffff;
}
QTableView#sales QHeaderView::section {
    font-size: 15px; font-weight: bold; background: #e4e7eb; color: #1f2933; padding: 4px 6px;
    border: none; border-right: 1px solid #cbd2d9;
}
QScrollArea#detail { background: #ffffff; border: 2px solid #cbd2d9; border-radius: 8px; }
QWidget#detailBody { background: #ffffff; }
QLabel#detailTitle { font-size: 22px; font-weight: bold; padding: 4px 8px; border-radius: 6px; }
QLabel#detailTitle[tone="paid"] { background: #d8f0df; color: #0d4a22; }
QLabel#detailTitle[tone="refunded"] { background: #e9e1f8; color: #3f237a; }
QLabel#detailTitle[tone="unpaid"] { background: #fff0c7; color: #563900; }
QLabel#detailTitle[tone="failed"] { background: #fde3e7; color: #7a0013; }
QLabel#detailTitle[tone="open"] { background: #dce9fa; color: #0b3d75; }
QLabel#fieldName { font-size: 15px; color: #52606d; }
QLabel#fieldValue { font-size: 16px; color: #111111; }
QLabel#fieldId { font-size: 13px; color: #111111; font-family: "DejaVu Sans Mono", monospace; }
QLabel#sectionTitle { font-size: 16px; font-weight: bold; color: #1f2933; margin-top: 6px; }
QLabel#history { font-size: 14px; color: #1f2933; background: #f0f4f8; border-radius: 6px; padding: 4px 6px; }
QLabel#refundNote { font-size: 15px; color: #3e4c59; }
QLabel#journalMessage { font-size: 16px; padding: 4px 8px; border-radius: 6px; }
QLabel#journalMessage[level="error"] { background: #fde8eb; color: #8a0016; border: 2px solid #b00020; }
QLabel#journalMessage[level="info"] { background: #e6f0fb; color: #0b3d75; border: 2px solid #0b57d0; }
QLabel#journalMessage[level="warning"] { background: #fff4d6; color: #5c3d00; border: 2px solid #b26a00; }
QLabel#backofficeLine { font-size: 15px; color: #3e4c59; background: #f4f6f8; }
QLabel#backofficeLine[level="warning"] { background: #fff4d6; color: #5c3d00; border: 2px solid #b26a00; border-radius: 6px; padding: 2px 8px; }
QLabel#backofficeLine[level="error"] { background: #fde8eb; color: #8a0016; border: 2px solid #b00020; border-radius: 6px; padding: 2px 8px; }
QFrame#totals { background: #1f2933; border-radius: 8px; }
QFrame#totals QLabel { color: #ffffff; font-size: 16px; }
QFrame#totals QLabel#totalsTitle { font-weight: bold; }

QWidget#journal[compact="true"] QComboBox, QWidget#journal[compact="true"] QDateEdit,
QWidget#journal[compact="true"] QLineEdit#journalSearch, QWidget#journal[compact="true"] QLineEdit#refundField {
    font-size: 14px; min-height: 24px; padding: 1px 6px;
}
QWidget#journal[compact="true"] QPushButton { font-size: 14px; min-height: 26px; padding: 1px 8px; }
QWidget#journal[compact="true"] QTableView#sales { font-size: 14px; }
QWidget#journal[compact="true"] QTableView#sales QHeaderView::section { font-size: 13px; padding: 2px 4px; }
QWidget#journal[compact="true"] QLabel#detailTitle { font-size: 17px; padding: 2px 6px; }
QWidget#journal[compact="true"] QLabel#fieldName { font-size: 13px; }
QWidget#journal[compact="true"] QLabel#fieldValue { font-size: 14px; }
QWidget#journal[compact="true"] QLabel#fieldId { font-size: 12px; }
QWidget#journal[compact="true"] QLabel#sectionTitle { font-size: 14px; margin-top: 2px; }
QWidget#journal[compact="true"] QLabel#history { font-size: 13px; }
QWidget#journal[compact="true"] QLabel#journalSummary,
QWidget#journal[compact="true"] QLabel#refundNote { font-size: 13px; }
QWidget#journal[compact="true"] QLabel#journalMessage { font-size: 14px; padding: 2px 6px; }
QWidget#journal[compact="true"] QFrame#totals QLabel { font-size: 13px; }
"""
