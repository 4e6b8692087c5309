"""A keyring backend for tests that share credentials with a child process (``tillqr charge``).

Secrets live in a JSON file named by ``TILLQR_TEST_KEYRING`` — a path the tests put OUTSIDE
``TILLQR_HOME``, so "no secret in any file under TILLQR_HOME" still means what it says. Select it
in a child with ``PYTHON_KEYRING_BACKEND=tests.support.filekeyring.FileKeyring``. Tests only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

ENV = "TILLQR_TEST_KEYRING"


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        """Never chosen on its own (keyring registers every backend class it sees): only when named in
        PYTHON_KEYRING_BACKEND or set with keyring.set_keyring, and viable only with its file named."""
        if not os.environ.get(ENV):
            raise RuntimeError(f"{ENV} is not set")
        return 0.01

    @property
    def path(self) -> Path:
        where = os.environ.get(ENV)
        if not where:
            raise RuntimeError(f"{ENV} is not set: FileKeyring needs a file path")
        return Path(where)

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data[f"{service}\x00{username}"] = password
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        if data.pop(f"{service}\x00{username}", None) is None:
            raise PasswordDeleteError(username)
        self.path.write_text(json.dumps(data), encoding="utf-8")
