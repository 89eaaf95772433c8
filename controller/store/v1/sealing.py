"""Secret configuration values at rest: Fernet tokens under BERTH_SECRETS_KEY.

Only sealed values reach PostgreSQL. The key is a Fernet key (32 url-safe base64
bytes); `berth up` keeps one in `<data-dir>/secrets-key`, a deployment passes its own.
Without a key nothing secret can be written — callers answer 503 — and never does a
secret fall back to plain text.
"""

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

SECRETS_KEY_VARIABLE = "BERTH_SECRETS_KEY"
SECRETS_KEY_FILE = "secrets-key"
NO_KEY = f"Secret values cannot be stored or read: {SECRETS_KEY_VARIABLE} is not configured."
BAD_KEY = f"{SECRETS_KEY_VARIABLE} is not a Fernet key (32 url-safe base64-encoded bytes)."
UNREADABLE = "A sealed value does not open with the configured key."


class SecretsKeyMissing(Exception):
    def __init__(self) -> None:
        super().__init__(NO_KEY)


class SealedValueUnreadable(Exception):
    def __init__(self) -> None:
        super().__init__(UNREADABLE)


class Sealer:
    """Seals and opens secret values; `Sealer(None)` refuses both."""

    def __init__(self, key: str | None):
        try:
            self._fernet = Fernet(key.encode()) if key else None
        except ValueError:
            raise ValueError(BAD_KEY) from None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "Sealer":
        return cls(environ.get(SECRETS_KEY_VARIABLE) or None)

    @property
    def configured(self) -> bool:
        return self._fernet is not None

    def seal(self, value: str) -> str:
        if self._fernet is None:
            raise SecretsKeyMissing()
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, sealed: str) -> str:
        if self._fernet is None:
            raise SecretsKeyMissing()
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealedValueUnreadable() from None


def new_key() -> str:
    return Fernet.generate_key().decode()


def key_in_data_dir(data_dir: Path) -> str:
    """The key kept in `<data_dir>/secrets-key`, made (owner-only) on first use."""
    path = data_dir / SECRETS_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = new_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key
