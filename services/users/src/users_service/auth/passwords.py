"""Argon2id password hashes; the reference's bcrypt hashes are verified and upgraded.

A refusal costs the same whether or not the account exists: an unknown email is checked
against a dummy hash made with the current parameters. While imported bcrypt hashes remain
in the database, every refusal also pays the other algorithm's check (a bcrypt dummy of
their cost, or an argon2 dummy), so an imported account cannot be told apart by time.
"""

import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import bcrypt
from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION
from flask import Flask, current_app

from users_service.auth.native_threads import NativeThreads
from users_service.config import Settings

BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
BCRYPT_MAX_BYTES = 72  # what bcrypt (and so the reference) actually hashed
# The reference used 13. A costlier dummy would make every refused login last seconds, so
# hashes above this stay distinguishable rather than slow the service down for everyone.
BCRYPT_DUMMY_MAX_COST = 14
# How long a worker trusts its answer to "do imported hashes remain?": one query per
# interval, none per login. An import into a running service is covered within this time.
LEGACY_RECHECK_SECONDS = 300.0
EXTENSION_KEY = "users_service.password_hasher"


@dataclass(frozen=True)
class Verification:
    ok: bool
    # The password matched a hash that should be replaced (bcrypt, or older argon2
    # parameters); the caller rehashes, only for a login it accepts.
    outdated: bool = False


class LegacyCost:
    """The bcrypt cost of the imported hashes still stored (None: none remain), read through
    `fetch` at most once per LEGACY_RECHECK_SECONDS."""

    def __init__(self) -> None:
        self._cost: int | None = None
        self._checked_at = -LEGACY_RECHECK_SECONDS

    def get(self, fetch: Callable[[], int | None]) -> int | None:
        if time.monotonic() - self._checked_at >= LEGACY_RECHECK_SECONDS:
            cost = fetch()
            self._cost = None if cost is None else min(cost, BCRYPT_DUMMY_MAX_COST)
            self._checked_at = time.monotonic()
        return self._cost


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
        self._dummy_hash = unmatchable_argon2_hash(self._argon2)
        self._bcrypt_dummies: dict[int, str] = {}  # by cost, made when first needed
        self.legacy_cost = LegacyCost()

    def hash(self, password: str) -> str:
        result: str = self._threads.run(self._argon2.hash, password)
        return result

    def verify(
        self, stored_hash: str | None, password: str, legacy_cost: int | None = None
    ) -> Verification:
        """Check a password; `stored_hash=None` (no such user) burns the same time and fails.
        `legacy_cost`: see `pay_refusal`, which a failure calls."""
        matched = self._matches(stored_hash, password)
        if stored_hash is None or not matched:
            self.pay_refusal(stored_hash, legacy_cost)
            return Verification(ok=False)
        bcrypt_hash = stored_hash.startswith(BCRYPT_PREFIXES)
        return Verification(True, bcrypt_hash or self._argon2.check_needs_rehash(stored_hash))

    def pay_refusal(self, stored_hash: str | None, legacy_cost: int | None) -> None:
        """While imported bcrypt hashes of cost `legacy_cost` remain, a refusal has checked
        one algorithm; check a dummy of the other, so that every refusal costs one argon2 and
        one bcrypt check. With none left (None), nothing: argon2 alone is the cost."""
        if legacy_cost is None:
            return
        if stored_hash is not None and stored_hash.startswith(BCRYPT_PREFIXES):
            self._threads.run(self._argon2_matches, self._dummy_hash, "")
        else:
            self._threads.run(_bcrypt_matches, self._bcrypt_dummy(legacy_cost), "")

    def _matches(self, stored_hash: str | None, password: str) -> bool:
        if stored_hash is None:  # no such account: the same work, and a refusal
            self._threads.run(self._argon2_matches, self._dummy_hash, password)
            return False
        if stored_hash.startswith(BCRYPT_PREFIXES):
            return bool(self._threads.run(_bcrypt_matches, stored_hash, password))
        return bool(self._threads.run(self._argon2_matches, stored_hash, password))

    def _bcrypt_dummy(self, cost: int) -> str:
        if cost not in self._bcrypt_dummies:
            salt = bcrypt.gensalt(rounds=cost)
            self._bcrypt_dummies[cost] = self._threads.run(bcrypt.hashpw, b"dummy", salt).decode()
        return self._bcrypt_dummies[cost]

    def _argon2_matches(self, stored_hash: str, password: str) -> bool:
        try:
            return bool(self._argon2.verify(stored_hash, password))
        except (VerificationError, InvalidHashError):
            return False


def unmatchable_argon2_hash(hasher: Argon2Hasher) -> str:
    """A hash of `hasher`'s parameters that no password matches (its digest is random):
    checking a password against it costs what checking a real one does. Written out in the
    PHC format argon2 reads, since hashing one would add a hash's time to every start."""
    salt, digest = (_phc_base64(os.urandom(size)) for size in (hasher.salt_len, hasher.hash_len))
    cost = f"m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
    return f"$argon2{hasher.type.name.lower()}$v={ARGON2_VERSION}${cost}${salt}${digest}"


def _phc_base64(data: bytes) -> str:
    return base64.b64encode(data).rstrip(b"=").decode()


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
