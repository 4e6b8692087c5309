"""Reading ``config.toml`` (and the tariffs in it) as text TillQR can trust: one reader, one set of limits.

``read_toml`` never changes the file; whatever keeps it from being read is one ``SettingsError`` naming the file,
and the line where it is known.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.i18n import _, format_number


class SettingsError(Exception):
    def __init__(self, path: Path, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


MAX_CONFIG_BYTES = 1_000_000  # a store's configuration is a few kilobytes; more is not a config file


def read_toml(path: Path, *, parse_float: Callable[[str], object] = float) -> dict[str, Any] | None:
    """The TOML in ``path`` (None when there is no file), read and never changed; whatever keeps it from
    being read (a folder, no permission, not UTF-8, too big, not TOML, nested too deeply) is one
    SettingsError naming the file, and the line where it is known."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsError(path, _("cannot be read: {reason}").format(reason=exc.strerror)) from None
    if stat.S_ISDIR(info.st_mode):
        raise SettingsError(path, _("is a folder, not a file: move it aside and save the settings again"))
    if not stat.S_ISREG(info.st_mode):
        raise SettingsError(path, _("is not a regular file: move it aside and save the settings again"))
    too_big = _("is too big to be a configuration (over {n} bytes)").format(n=format_number(MAX_CONFIG_BYTES))
    if info.st_size > MAX_CONFIG_BYTES:
        raise SettingsError(path, too_big)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise SettingsError(
            path, _("cannot be read: {reason} (check its owner and permissions)").format(reason=exc.strerror)
        ) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise SettingsError(path, too_big)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SettingsError(path, _("is not UTF-8 text (line {line}): save it as UTF-8").format(line=line)) from None
    try:
        return tomllib.loads(text, parse_float=parse_float)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(path, _("not valid TOML: {reason}").format(reason=exc)) from None
    except RecursionError:
        raise SettingsError(
            path, _("not valid TOML: nested too deeply ({where})").format(where=_deepest(text))
        ) from None
    except ValueError:  # an integer of thousands of digits (int()'s limit), which TOML's parser does not catch
        raise SettingsError(path, _("not valid TOML: a number in it has too many digits")) from None


def _deepest(text: str) -> str:
    """Where the nesting of ``[`` and ``{`` first goes past 100 levels, roughly (strings are not told apart)."""
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        for char in line:
            depth += 1 if char in "[{" else -1 if char in "]}" else 0
            if depth > 100:
                return _("more than 100 levels from line {line}").format(line=number)
    return _("more than Python can follow")
