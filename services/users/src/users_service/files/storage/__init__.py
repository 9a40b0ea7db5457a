"""Where file content lives: one small interface, one implementation built per application.

Both implementations are shared by every instance by construction (the database they all
use, or one S3 bucket), and `store` leaves a file's content and its metadata row together,
or neither. Content goes in and out in pieces: no implementation holds a whole file.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Protocol

from flask import Flask, current_app
from sqlalchemy.orm import Session

from users_service.config import Settings
from users_service.files.storage.database import DatabaseStorage
from users_service.files.storage.quota import Admit
from users_service.models import StoredFile

EXTENSION_KEY = "users_service.file_storage"


class StorageUnavailableError(Exception):
    """The file store did not answer or refused a request: like a database outage, a 503."""


class Storage(Protocol):
    def store(self, session: Session, record: StoredFile, content: IO[bytes], admit: Admit) -> None:
        """Write `content` and commit the new `record`: afterwards both exist, or neither.
        `admit` may refuse the record; then nothing is left behind either."""

    def open(self, session: Session, record: StoredFile) -> Iterable[bytes] | None:
        """The content of a committed record, in chunks; None when it cannot be found."""

    def orphans(self, session: Session, older_than: datetime) -> list[str]:
        """Keys of stored content written before `older_than` that no row names."""

    def discard(self, keys: Sequence[str]) -> None:
        """Delete stored content by key (orphans only)."""


def build_storage(settings: Settings) -> Storage:
    if settings.file_storage == "s3":
        # Imported here: deployments that keep files in the database never load boto3.
        from users_service.files.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    return DatabaseStorage()


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION_KEY] = build_storage(settings)


def current_storage() -> Storage:
    storage: Storage = current_app.extensions[EXTENSION_KEY]
    return storage
