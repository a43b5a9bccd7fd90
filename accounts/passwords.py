"""PINs and passwords, hashed with argon2id (argon2-cffi's PasswordHasher).

A hash made with older parameters still verifies; `needs_rehash` tells the service to store a
new one on the next successful sign-in, so raising the cost needs no reset of anyone's PIN.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class SecretHasher:
    """Hash and check secrets; `hasher` carries the cost parameters (the library's defaults)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        #: checked against when the account does not exist, so that takes as long as a real one
        self._decoy = self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, secret: str) -> str:
        return self.hasher.hash(secret)

    def verify(self, secret_hash: str | None, secret: str) -> bool:
        """True if `secret` matches; for `secret_hash` None, spends the same time, then False."""
        try:
            matched = self.hasher.verify(secret_hash or self._decoy, secret)
        except (VerificationError, InvalidHashError):
            return False
        return matched and secret_hash is not None

    def needs_rehash(self, secret_hash: str) -> bool:
        return self.hasher.check_needs_rehash(secret_hash)


def argon2_hasher(time_cost: int, memory_kib: int, lanes: int) -> SecretHasher:
    """A hasher with these argon2id costs (FEDCAT_PASSWORD_COST; default: the library's)."""
    return SecretHasher(
        PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=lanes)
    )


def generate_pin(digits: int = 8) -> str:
    """A random numeric PIN for a patron who has none yet (shown once, then only its hash)."""
    return "".join(secrets.choice("0123456789") for _ in range(digits))
