"""Uploaded files: metadata in `files`, content (database storage) in `file_chunks`.

Listing reads only `files`; the content lives in its own table so a page of metadata never
drags megabytes of bytea along. Content is cut into chunks of at most CHUNK_BYTES, written
and read one at a time, so no worker ever holds a whole file (nor psycopg2 a copy of one).
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from users_service import clock
from users_service.models.base import Base, UTCDateTime
from users_service.models.user import User

NAME_MAX_BYTES = 255  # what common file systems accept, in UTF-8 bytes
CONTENT_TYPE_MAX = 255  # RFC 6838: type and subtype of at most 127 characters each
STORAGE_KEY_MAX = 1024  # S3's own limit on object keys
# One row of content: small enough that a worker holds a few of them (and psycopg2's hex copy)
# at once, large enough that a 10 MiB file is 40 rows.
CHUNK_BYTES = 256 * 1024


class StoredFile(Base):
    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_BYTES))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(CONTENT_TYPE_MAX))
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The object key in S3; NULL when the content is in file_chunks.
    storage_key: Mapped[str | None] = mapped_column(String(STORAGE_KEY_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, server_default=func.now()
    )
    # Every reply names the uploader: load it in the same query as the page.
    uploader: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (Index("ix_files_created_at_id", created_at, id),)

    @classmethod
    def bytes_stored_by(cls, session: Session, uploader_id: int) -> int:
        """The total size of the files this user uploaded (served by ix_files_uploader_id)."""
        query = select(func.coalesce(func.sum(cls.size), 0)).where(cls.uploader_id == uploader_id)
        return int(session.scalar(query) or 0)


class FileChunk(Base):
    """The `seq`-th piece (from 0) of a file's content, for database storage."""

    __tablename__ = "file_chunks"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("files.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
