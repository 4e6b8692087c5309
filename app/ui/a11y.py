"""Accessibility helpers: what assistive technology (a screen reader through Qt's QAccessible bridge) is told.

``describe`` gives a widget its accessible name and description in one call; ``announce`` tells the
accessibility layer that a widget's name changed (the status banner: "Paid. 12.50 received."), so a screen
reader speaks the new state without the cashier moving focus to it.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent
from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def describe(widget: W, name: str, description: str = "") -> W:
    """``widget`` with its accessible ``name`` (what it is, in a few words) and ``description`` (what it does)."""
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
    return widget


def tab_order(*widgets: QWidget | None) -> None:
    """Tab moves through ``widgets`` in this order (None: a widget this screen does not have)."""
    present = [w for w in widgets if w is not None]
    for first, second in zip(present, present[1:], strict=False):
        QWidget.setTabOrder(first, second)


def announce(widget: QWidget, name: str, *, urgent: bool = False) -> bool:
    """Give ``widget`` the accessible ``name`` and, when it changed, tell the accessibility layer: NameChanged, and
    an announcement of ``name`` (assertive when ``urgent``: spoken at once, interrupting). Whether it changed."""
    if widget.accessibleName() == name:
        return False
    widget.setAccessibleName(name)
    QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.NameChanged))
    if name:
        event = QAccessibleAnnouncementEvent(widget, name)
        polite = QAccessible.AnnouncementPoliteness
        event.setPoliteness(polite.Assertive if urgent else polite.Polite)
        QAccessible.updateAccessibility(event)
    return True
