"""`users-service jwt-key`: a new key in the format JWT_PRIVATE_KEYS expects, on stdout only."""

from pathlib import Path

from flask import Flask

from users_service.auth import rsa_keys
from users_service.config import Settings

from services.users.tests.support.cli import invoke


def test_jwt_key_prints_a_new_usable_key(app: Flask, settings: Settings) -> None:
    first, second = invoke(app, "jwt-key"), invoke(app, "jwt-key")
    assert first.exit_code == 0
    assert first.stderr == ""
    [key] = rsa_keys.parse_keys(first.stdout)
    assert first.stdout.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert key.private.key_size >= rsa_keys.MIN_BITS
    assert rsa_keys.parse_keys(second.stdout)[0].kid != key.kid


def test_jwt_key_writes_no_file(app: Flask, settings: Settings) -> None:
    before = sorted(Path(settings.data_dir).iterdir())
    assert invoke(app, "jwt-key").exit_code == 0
    assert sorted(Path(settings.data_dir).iterdir()) == before
