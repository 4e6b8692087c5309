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

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def journal_file(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    def ensure(self) -> Paths:
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)  # this user's only: sales, PIN hash, logs
        return self


def paths(home: Path | str | None = None) -> Paths:
    home = home or os.environ.get("TILLQR_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "logs")
    return Paths(
        Path(platformdirs.user_config_dir(APP)),
        Path(platformdirs.user_data_dir(APP)),
        Path(platformdirs.user_log_dir(APP)),
    )
