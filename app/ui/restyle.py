"""One small Qt helper: a property the style sheet matches on (``QLabel[level="error"]``), set and the sheet
re-applied (Qt does not re-match selectors by itself when a dynamic property changes)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def restyle(widget: QWidget, name: str, value: object) -> None:
    """Set ``name`` to ``value`` on ``widget``, and re-apply the style sheet when it changed."""
    if widget.property(name) != value:
        widget.setProperty(name, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
