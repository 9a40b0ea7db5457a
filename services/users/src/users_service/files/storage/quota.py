"""Each user's storage quota: the total size of the files they uploaded, at most a limit.

A check before the body is read (`allowance`) turns away an account that is already full
at no cost; the exact check (`claim`) runs inside the transaction that inserts the file's
row, serialised per user, so concurrent uploads cannot together pass the limit.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from users_service.models import StoredFile, User

# Runs inside the transaction that inserts a record, after its row is flushed and before
# anything is committed; it refuses the record by raising.
Admit = Callable[[Session, StoredFile], None]


class QuotaExceededError(Exception):
    def __init__(self, quota_bytes: int, left_bytes: int) -> None:
        super().__init__(f"{max(left_bytes, 0)} of {quota_bytes} bytes left")
        self.quota_bytes, self.left_bytes = quota_bytes, max(left_bytes, 0)


@dataclass(frozen=True)
class Allowance:
    """What a user had left when last looked at (a snapshot: `claim` decides)."""

    quota_bytes: int
    left_bytes: int

    def check(self, size: int) -> None:
        if size > self.left_bytes:
            raise QuotaExceededError(self.quota_bytes, self.left_bytes)


def allowance(session: Session, uploader_id: int, quota_bytes: int) -> Allowance:
    stored = StoredFile.bytes_stored_by(session, uploader_id)
    return Allowance(quota_bytes, quota_bytes - stored)


def claim(quota_bytes: int) -> Admit:
    """An Admit that refuses a record taking its uploader past `quota_bytes`."""

    def admit(session: Session, record: StoredFile) -> None:
        # PostgreSQL: one upload per user at a time from here to commit. FOR NO KEY UPDATE
        # leaves the row's foreign-key locks (inserts naming the user elsewhere) alone.
        # SQLite: ignored; the row's INSERT already took the database's one write lock.
        lock = select(User.id).where(User.id == record.uploader_id).with_for_update(key_share=True)
        session.execute(lock)
        # The sum includes the new row, flushed in this transaction.
        stored = StoredFile.bytes_stored_by(session, record.uploader_id)
        if stored > quota_bytes:
            raise QuotaExceededError(quota_bytes, quota_bytes - stored + record.size)

    return admit
