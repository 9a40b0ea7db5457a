"""Database storage in chunks: how content is cut, read back, and what a worker holds."""

import hashlib
import io
import secrets
import tracemalloc
from collections.abc import Callable, Iterator
from typing import IO, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from users_service.files.storage import quota
from users_service.files.storage.database import ChunkStream, DatabaseStorage, MissingChunkError
from users_service.models import FileChunk, StoredFile, User
from users_service.models.database import db
from users_service.models.stored_file import CHUNK_BYTES

from services.users.tests.support.helpers import Member, assert_json_error, uploaded

MIB = 1024 * 1024


def chunk_sizes(app: Flask, file_id: int) -> list[tuple[int, int]]:
    with app.app_context():
        query = select(FileChunk.seq, FileChunk.data).where(FileChunk.file_id == file_id)
        return [(seq, len(data)) for seq, data in db.session.execute(query.order_by(FileChunk.seq))]


def test_content_is_cut_into_chunks_of_at_most_chunk_bytes(
    app: Flask, client: FlaskClient, member: Member
) -> None:
    """Two full chunks and the rest, numbered from 0; served back byte for byte."""
    content = secrets.token_bytes(2 * CHUNK_BYTES + 1000)
    data = uploaded(client, member, content)
    assert chunk_sizes(app, data["id"]) == [(0, CHUNK_BYTES), (1, CHUNK_BYTES), (2, 1000)]
    assert client.get(f"/files/{data['id']}", headers=member.headers).get_data() == content


def test_a_download_holds_no_connection_between_chunks(
    app: Flask, client: FlaskClient, member: Member
) -> None:
    """Each chunk is read on a connection given back before the chunk is sent, so a client
    that drains the reply slowly holds none."""
    content = secrets.token_bytes(4 * CHUNK_BYTES)
    data = uploaded(client, member, content)
    reply = client.get(f"/files/{data['id']}", headers=member.headers, buffered=False)
    with app.app_context():
        pool = db.engine.pool
    received, checked_out = [], []
    for chunk in reply.response:
        checked_out.append(pool.checkedout())  # type: ignore[attr-defined]
        received.append(chunk)
    reply.close()
    assert b"".join(received) == content
    assert len(received) == 4
    assert checked_out == [0, 0, 0, 0]


def test_a_chunk_gone_midway_cuts_the_download(
    app: Flask, client: FlaskClient, member: Member
) -> None:
    """The reply ends with an error rather than a short body passed off as the file; a file
    whose first chunk is gone is a 404."""
    data = uploaded(client, member, secrets.token_bytes(3 * CHUNK_BYTES))
    _delete_chunks(app, data["id"], 1)
    reply = client.get(f"/files/{data['id']}", headers=member.headers, buffered=False)
    chunks: Iterator[bytes] = iter(reply.response)
    assert len(next(chunks)) == CHUNK_BYTES
    with pytest.raises(MissingChunkError):
        next(chunks)
    reply.close()
    _delete_chunks(app, data["id"], 0)
    assert_json_error(client.get(f"/files/{data['id']}", headers=member.headers), 404)


def _delete_chunks(app: Flask, file_id: int, seq: int) -> None:
    with app.app_context():
        db.session.execute(
            delete(FileChunk).where(FileChunk.file_id == file_id, FileChunk.seq == seq)
        )
        db.session.commit()


def test_storing_and_reading_a_large_file_allocates_a_few_chunks(
    app: Flask, make_user: Callable[..., User], tmp_path: Any
) -> None:
    """An 8 MiB file (32 chunks) is stored and read back with Python allocations of a few
    chunks at the most, never the file. On PostgreSQL, psycopg2 builds each INSERT as text:
    the chunk, its hex escape (twice its size) and the query holding it, about 5 chunks."""
    user = make_user()
    content = secrets.token_bytes(8 * MIB)
    with (tmp_path / "spooled").open("w+b") as spooled, app.app_context():
        spooled.write(content)
        spooled.seek(0)
        record = StoredFile(name="big", size=len(content), content_type="x/y", uploader_id=user.id)
        store_peak = _peak(lambda: _store(record, spooled))
        stream = DatabaseStorage().open(db.session, record)
        assert isinstance(stream, ChunkStream)
        read_peak, digest = _peak_and_result(lambda: _fold(stream))
    assert digest == _fold(iter([content]))
    assert store_peak < 8 * CHUNK_BYTES
    assert read_peak < 8 * CHUNK_BYTES


def _store(record: StoredFile, content: IO[bytes]) -> None:
    DatabaseStorage().store(db.session, record, content, quota.claim(1024 * MIB))


def _fold(chunks: Iterator[bytes] | ChunkStream) -> str:
    """A digest of the content, without keeping the chunks."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _peak(action: Callable[[], object]) -> int:
    return _peak_and_result(action)[0]


def _peak_and_result(action: Callable[[], Any]) -> tuple[int, Any]:
    tracemalloc.start()
    try:
        result = action()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_buffer_io_stream_is_accepted_for_small_uploads(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """werkzeug keeps parts up to 500 KiB in memory: a BytesIO is stored like a file."""
    user = make_user()
    with app.app_context():
        record = StoredFile(name="small", size=5, content_type="x/y", uploader_id=user.id)
        _store(record, io.BytesIO(b"hello"))
        stream = DatabaseStorage().open(db.session, record)
        assert stream is not None
        assert b"".join(stream) == b"hello"
