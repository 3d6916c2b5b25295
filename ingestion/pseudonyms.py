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

    def sql(self, column: str) -> tuple[str, dict[str, bytes]]:
        """The same hash as `one`, as a DuckDB expression over `column` (NULL stays NULL),
        and its parameters: HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)) (RFC 2104).

        The key's pads travel as query parameters and are never stored in the database.
        """
        block = self._key if len(self._key) <= 64 else hashlib.sha256(self._key).digest()
        block = block.ljust(64, b"\0")
        inner = bytes(b ^ 0x36 for b in block)
        outer = bytes(b ^ 0x5C for b in block)
        expression = (f"substr(sha256($hmac_outer::blob || unhex(sha256($hmac_inner::blob || "
                      f"encode({column})))), 1, {HASH_LENGTH})")
        return expression, {"hmac_inner": inner, "hmac_outer": outer}
