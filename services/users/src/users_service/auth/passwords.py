"""Argon2id password hashes; the reference's bcrypt hashes are verified and upgraded.

Verification costs the same whether or not the account exists: an unknown email is
checked against a dummy hash made with the current parameters.
"""

from dataclasses import dataclass

import bcrypt
from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

from users_service.auth.native_threads import NativeThreads
from users_service.config import Settings

BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
BCRYPT_MAX_BYTES = 72  # what bcrypt (and so the reference) actually hashed
EXTENSION_KEY = "users_service.password_hasher"


@dataclass(frozen=True)
class Verification:
    ok: bool
    new_hash: str | None = None  # set when the stored hash should be replaced


class PasswordHasher:
    @classmethod
    def from_settings(cls, settings: Settings) -> "PasswordHasher":
        return cls(
            settings.argon2_time_cost,
            settings.argon2_memory_kib,
            settings.argon2_parallelism,
            settings.hash_threads,
        )

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int, threads: int) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._threads = NativeThreads(threads)
        self._dummy_hash = self._argon2.hash("dummy password for unknown accounts")

    def hash(self, password: str) -> str:
        result: str = self._threads.run(self._argon2.hash, password)
        return result

    def verify(self, stored_hash: str | None, password: str) -> Verification:
        """Check a password; `stored_hash=None` (no such user) burns the same time and fails."""
        if stored_hash is None:
            self._threads.run(self._argon2_matches, self._dummy_hash, password)
            return Verification(ok=False)
        if stored_hash.startswith(BCRYPT_PREFIXES):
            ok = self._threads.run(_bcrypt_matches, stored_hash, password)
            return Verification(ok, self.hash(password) if ok else None)
        ok = self._threads.run(self._argon2_matches, stored_hash, password)
        needs_rehash = ok and self._argon2.check_needs_rehash(stored_hash)
        return Verification(ok, self.hash(password) if needs_rehash else None)

    def _argon2_matches(self, stored_hash: str, password: str) -> bool:
        try:
            return bool(self._argon2.verify(stored_hash, password))
        except (VerificationError, InvalidHashError):
            return False


def _bcrypt_matches(stored_hash: str, password: str) -> bool:
    # bcrypt >= 5 refuses over-long input instead of truncating; the legacy hash was made
    # from the first 72 bytes, so that is what must be compared.
    candidate = password.encode()[:BCRYPT_MAX_BYTES]
    try:
        return bcrypt.checkpw(candidate, stored_hash.encode())
    except ValueError:
        return False


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION_KEY] = PasswordHasher.from_settings(settings)


def current_hasher() -> PasswordHasher:
    hasher: PasswordHasher = current_app.extensions[EXTENSION_KEY]
    return hasher
