"""Every fuzz target by name, in the order ``all`` runs them."""

from __future__ import annotations

from . import Target, files, replies, text

TARGETS: dict[str, Target] = {t.name: t for t in (*text.TARGETS, *replies.TARGETS, *files.TARGETS)}
