"""Where TillQR keeps its files.

``TILLQR_HOME`` (one folder for config, data and logs) keeps tests and several
tills on one machine apart; without it, platformdirs' per-user folders are used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "tillqr"

# The repository's resources/ folder (style sheet, sample tariffs and route), read from the source tree as
# an editable install runs it; PyInstaller's spec bundles the folder at the same place next to app/.
RESOURCES = Path(__file__).resolve().parents[2] / "resources"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    log_dir: Path
    home: Path | None = None  # TILLQR_HOME, when the three live under one folder

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def journal_file(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    def ensure(self) -> Paths:
        """The three folders made, this user's only (0700: sales, PIN hash, logs); one an older TillQR or a
        hand left open (0755) is tightened. TILLQR_HOME too when it is TillQR's: made now, or holding
        nothing but TillQR's folders (a folder of the user's with other things in it is left as it is)."""
        home_is_ours = self.home is not None and not os.path.lexists(self.home)
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            private_folder(d)
        if self.home is not None and (home_is_ours or _only_ours(self.home)):
            private_folder(self.home)
        return self


_OURS = frozenset({"config", "data", "logs"})


def _only_ours(folder: Path) -> bool:
    try:
        return {entry.name for entry in os.scandir(folder)} <= _OURS
    except OSError:
        return False


def private_folder(folder: Path) -> None:
    """``folder`` tightened to 0700 when it is this user's and open to others; left alone otherwise."""
    try:
        info = os.stat(folder)
        owner = getattr(os, "getuid", None)
        if info.st_mode & 0o077 and (owner is None or info.st_uid == owner()):
            os.chmod(folder, 0o700)
    except OSError:  # not ours to change (or gone): what can be read and written still is
        pass


def private_file(path: Path | str, fd: int | None = None) -> None:
    """The file (open as ``fd``, or at ``path``) tightened to 0600 when others can read it; errors ignored."""
    try:
        info = os.fstat(fd) if fd is not None else os.stat(path)
        if info.st_mode & 0o077:
            if fd is not None:
                os.fchmod(fd, 0o600)
            else:
                os.chmod(path, 0o600)
    except (OSError, AttributeError):  # not ours, or no fchmod (Windows): left as it is
        pass


def paths(home: Path | str | None = None) -> Paths:
    home = home or os.environ.get("TILLQR_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "logs", root)
    return Paths(
        Path(platformdirs.user_config_dir(APP)),
        Path(platformdirs.user_data_dir(APP)),
        Path(platformdirs.user_log_dir(APP)),
    )
