"""Content in PostgreSQL (or the embedded SQLite file): one transaction for row and bytes."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from users_service.models import FileBlob, StoredFile


class DatabaseStorage:
    """The bytes go to `file_blobs`, committed with their `files` row or rolled back with it."""

    def store(self, session: Session, record: StoredFile, content: IO[bytes]) -> None:
        data = content.read()  # before the transaction opens, so it stays short
        try:
            session.add(record)
            session.flush()  # assigns record.id, inside the same transaction
            session.add(FileBlob(file_id=record.id, content=data))
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def open(self, session: Session, record: StoredFile) -> Iterable[bytes] | None:
        # Files here are bounded by DATABASE_UPLOAD_MAX, so one chunk is affordable.
        data = session.scalar(select(FileBlob.content).where(FileBlob.file_id == record.id))
        return None if data is None else (data,)

    def orphans(self, session: Session, older_than: datetime) -> list[str]:
        return []  # a blob cannot outlive its row (foreign key) nor be committed without it

    def discard(self, keys: Sequence[str]) -> None:
        if keys:
            raise ValueError("database storage has no keys to discard")
