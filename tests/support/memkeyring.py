"""An in-memory keyring backend: a real ``keyring`` backend that keeps secrets in a dict (tests only)."""

from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """``persists``: what app.config.secrets is told about it (``keeps_secrets``). True by default: in tests it
    stands for the OS keyring; ``MemoryKeyring(persists=False)`` is what it really is, a keyring that forgets."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, *, persists: bool = True) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.persists = persists

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)
