"""Content in PostgreSQL (or the embedded SQLite file), in pieces of at most CHUNK_BYTES.

An upload's row and its chunks are one transaction. A download reads one chunk per query,
each on a pooled connection taken and given back around that query, so a client that
drains the reply slowly holds no connection and at most one chunk.
"""

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import IO

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.orm import Session

from users_service.files.storage.quota import Admit
from users_service.models import FileChunk, StoredFile
from users_service.models.stored_file import CHUNK_BYTES

log = logging.getLogger(__name__)


class MissingChunkError(Exception):
    """A file's content ended before its size: the reply is cut, never padded."""


class DatabaseStorage:
    """The bytes go to `file_chunks`, committed with their `files` row or rolled back with it."""

    def store(self, session: Session, record: StoredFile, content: IO[bytes], admit: Admit) -> None:
        try:
            session.add(record)
            session.flush()  # assigns record.id; on SQLite this takes the write lock
            admit(session, record)
            for seq, data in enumerate(iter(partial(content.read, CHUNK_BYTES), b"")):
                # Core INSERTs: the session keeps no reference to the bytes once sent.
                session.execute(insert(FileChunk), {"file_id": record.id, "seq": seq, "data": data})
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def open(self, session: Session, record: StoredFile) -> "ChunkStream | None":
        first = read_chunk(session, record.id, 0)
        if first is None:
            return None
        return ChunkStream(session.get_bind(), record, first)

    def orphans(self, session: Session, older_than: datetime) -> list[str]:
        return []  # a chunk cannot outlive its row (foreign key) nor be committed without it

    def discard(self, keys: Sequence[str]) -> None:
        if keys:
            raise ValueError("database storage has no keys to discard")


def read_chunk(reader: Session | Connection, file_id: int, seq: int) -> bytes | None:
    query = select(FileChunk.data).where(FileChunk.file_id == file_id, FileChunk.seq == seq)
    data: bytes | None = reader.scalar(query)
    return data


class ChunkStream:
    """A file's chunks in order, each read on a connection of its own once the previous one
    has been handed to the server. The first was read while the request checked the file
    (a file whose content is gone is a 404, not an empty 200)."""

    def __init__(self, bind: Engine | Connection, record: StoredFile, first: bytes) -> None:
        self._bind, self._file_id, self._size = bind, record.id, record.size
        self._first: bytes | None = first

    def __iter__(self) -> Iterator[bytes]:
        sent, seq = 0, 0
        while sent < self._size:
            data = self._take_first() if seq == 0 else self._read(seq)
            if data is None:
                log.error("file %s: chunk %s is missing", self._file_id, seq)
                raise MissingChunkError(f"file {self._file_id} ends at byte {sent}")
            sent, seq = sent + len(data), seq + 1
            yield data

    def _take_first(self) -> bytes | None:
        data, self._first = self._first, None
        return data

    def _read(self, seq: int) -> bytes | None:
        with Session(self._bind) as session:  # back to the pool before the bytes are sent
            return read_chunk(session, self._file_id, seq)
