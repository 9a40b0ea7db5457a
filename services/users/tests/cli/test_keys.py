"""`users-service jwt-key`: a new key in the format JWT_PRIVATE_KEYS expects, on stdout only,
without an app or settings (production cannot start before its first key exists)."""

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from users_service.auth import rsa_keys
from users_service.cli.main import command_group


def _jwt_key() -> Result:
    return CliRunner().invoke(command_group(), ["jwt-key"])


@pytest.fixture(autouse=True)
def production_without_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings the service refuses to start with; the command must not need them."""
    monkeypatch.chdir(tmp_path)
    for name, value in {"APP_ENV": "production", "ENV_FILE": "", "DATA_DIR": "var"}.items():
        monkeypatch.setenv(name, value)
    for name in ("JWT_PRIVATE_KEYS", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_jwt_key_prints_a_new_usable_key() -> None:
    first, second = _jwt_key(), _jwt_key()
    assert first.exit_code == 0, (first.output, repr(first.exception))
    assert first.stderr == ""
    assert first.stdout.startswith("-----BEGIN PRIVATE KEY-----\n")
    [key] = rsa_keys.parse_keys(first.stdout)
    assert key.private.key_size >= rsa_keys.MIN_BITS
    assert rsa_keys.parse_keys(second.stdout)[0].kid != key.kid


def test_jwt_key_writes_no_file(tmp_path: Path) -> None:
    assert _jwt_key().exit_code == 0
    assert list(tmp_path.iterdir()) == []
