"""Keyed pseudonyms: every delivered identifier is hashed again with HMAC-SHA-256.

The key lives outside the database (`<home>/secrets/pseudonym.key`, mode 0600) and is
created on first use. The same delivered pseudonym always gives the same hash.
"""

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import pandas as pd

KEY_FILE = "pseudonym.key"
HASH_LENGTH = 32  # hex characters (128 bits)


def load_or_create_key(secrets_dir: Path) -> bytes:
    secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = secrets_dir / KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PermissionError(
            f"Der Pseudonymschlüssel {path} ist für andere lesbar (Modus {oct(mode)}); "
            "erlaubt ist nur 0600. Bitte mit 'chmod 600' korrigieren."
        )
    return bytes.fromhex(path.read_text().strip())


class Pseudonymiser:
    """Hashes identifier values; caches per instance since parents and spouses repeat ids."""

    def __init__(self, key: bytes):
        self._key = key
        self._cache: dict[str, str] = {}

    def one(self, value: str) -> str:
        cached = self._cache.get(value)
        if cached is None:
            digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
            cached = digest[:HASH_LENGTH]
            self._cache[value] = cached
        return cached

    def series(self, values: pd.Series) -> pd.Series:
        """Hash a column; empty cells stay missing."""
        stripped = values.astype("str").str.strip()
        out = stripped.map(lambda v: self.one(v) if v else None)
        return out.astype("object")
