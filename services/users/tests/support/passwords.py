"""Password hashes as tests need them: imported bcrypt hashes, and a count of verifications."""

from collections.abc import Callable
from typing import Any

import argon2
import bcrypt
import pytest
from flask import Flask
from sqlalchemy import select

from users_service.auth.passwords import current_hasher
from users_service.models import User
from users_service.models.database import db


def store_hash(app: Flask, email: str, password_hash: str) -> None:
    """Write a hash straight into users.password, as an import of the reference's rows would."""
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        user.password_hash = password_hash
        db.session.commit()


def legacy_bcrypt(password: str, rounds: int = 4) -> str:
    """A hash as the reference made it (at 13 rounds): bcrypt over (at most) the first 72
    bytes."""
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=rounds)).decode()


class VerificationCounter:
    """Counts password verifications at the service's hasher, inside argon2 and bcrypt, and
    argon2 hashes."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.service_verify = self.argon2_verify = self.argon2_hash = self.bcrypt_check = 0
        with app.app_context():
            hasher = current_hasher()
        for owner, name, counter in (
            (hasher, "verify", "service_verify"),
            (argon2.PasswordHasher, "verify", "argon2_verify"),
            (argon2.PasswordHasher, "hash", "argon2_hash"),
            (bcrypt, "checkpw", "bcrypt_check"),
        ):
            monkeypatch.setattr(owner, name, self._counted(getattr(owner, name), counter))

    def _counted(self, original: Callable[..., Any], counter: str) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            setattr(self, counter, getattr(self, counter) + 1)
            return original(*args, **kwargs)

        return counted

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.service_verify, self.argon2_verify, self.argon2_hash
