"""The keys that sign and verify access tokens: configured, or generated once per data
directory in development.

RS256 (the default) signs with the first of JWT_PRIVATE_KEYS and accepts all of them;
HS256 signs and verifies with SECRET_KEY. Every gunicorn worker must use the same keys, so
a generated key is written to a file beside the SQLite database with an atomic
create-if-absent (readable by its owner only).
"""

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, current_app

from users_service.auth import rsa_keys
from users_service.auth.tokens import AccessTokenVerifier, TokenKeys
from users_service.config import ConfigError, Settings

KEY_FILE_NAME = "secret_key"
RSA_KEY_FILE_NAME = "jwt_private_key.pem"
EXTENSION_KEY = "users_service.signing_key"


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION_KEY] = AccessTokenVerifier(resolve_token_keys(settings))


def current_token_keys() -> TokenKeys:
    return current_verifier().keys


def current_verifier() -> AccessTokenVerifier:
    """This app's keys, with the access tokens it has verified."""
    verifier: AccessTokenVerifier = current_app.extensions[EXTENSION_KEY]
    return verifier


def resolve_token_keys(settings: Settings) -> TokenKeys:
    """The configured algorithm's keys; raises ConfigError on keys that cannot be used."""
    issuer, audience = settings.jwt_issuer, settings.jwt_audience
    if settings.jwt_algorithm == "HS256":
        secret = resolve_signing_key(settings)
        return TokenKeys("HS256", issuer, audience, secret, None, {None: secret})
    try:
        keys = rsa_keys.parse_keys(_rsa_pem(settings))
    except rsa_keys.KeyConfigError as error:
        raise ConfigError(str(error)) from None
    published: dict[str | None, str | rsa.RSAPublicKey] = {key.kid: key.public for key in keys}
    return TokenKeys(rsa_keys.ALGORITHM, issuer, audience, keys[0].private, keys[0].kid, published)


def resolve_signing_key(settings: Settings) -> str:
    """The HS256 secret: SECRET_KEY, else (development) the generated one."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    _refuse_generating_in_production(settings, "SECRET_KEY")
    return _read_or_create(settings.data_dir / KEY_FILE_NAME, lambda: secrets.token_urlsafe(48))


def _rsa_pem(settings: Settings) -> str:
    if settings.jwt_private_keys is not None:
        return settings.jwt_private_keys.get_secret_value()
    _refuse_generating_in_production(settings, "JWT_PRIVATE_KEYS")
    return _read_or_create(settings.data_dir / RSA_KEY_FILE_NAME, rsa_keys.generate_pem)


def _refuse_generating_in_production(settings: Settings, name: str) -> None:
    if settings.app_env == "production":  # settings validation already refuses this
        raise ConfigError(f"{name} is required in production")


def _read_or_create(path: Path, generate: Callable[[], str]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create_exclusively(path, generate())
    return path.read_text().strip()


def _create_exclusively(path: Path, key: str) -> None:
    # Write a private temp file, then hard-link it into place: the link fails if another
    # worker won the race, and a reader never sees a half-written key.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)
