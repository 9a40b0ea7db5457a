"""The JWT signing secret: configured, or generated once per data directory in development.

Every gunicorn worker must sign and verify with the same key, so a generated key is
written to a file beside the SQLite database with an atomic create-if-absent.
"""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask, current_app

from users_service.config import Settings

KEY_FILE_NAME = "secret_key"
EXTENSION_KEY = "users_service.signing_key"


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION_KEY] = resolve_signing_key(settings)


def current_signing_key() -> str:
    key: str = current_app.extensions[EXTENSION_KEY]
    return key


def resolve_signing_key(settings: Settings) -> str:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if settings.app_env == "production":  # settings validation already refuses this
        raise RuntimeError("SECRET_KEY is required in production")
    return _read_or_create(settings.data_dir / KEY_FILE_NAME)


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create_exclusively(path, secrets.token_urlsafe(48))
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
