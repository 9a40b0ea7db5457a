"""Migration 0004: existing file_blobs content becomes file_chunks, and back on downgrade."""

import secrets
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, create_engine, text

from users_service import migrations
from users_service.config import Settings

from services.users.tests.migrations.conftest import isolated_schema  # noqa: F401 - a fixture

PIECE = 256 * 1024
CONTENTS = {1: b"small", 2: secrets.token_bytes(2 * PIECE + 7), 3: secrets.token_bytes(PIECE)}


@pytest.fixture
def fresh_settings(
    request: pytest.FixtureRequest,
    is_postgres: bool,
    make_settings: Callable[..., Settings],
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    """Settings on an empty database of their own: a PostgreSQL schema or a SQLite file."""
    if is_postgres:
        _schema, url = request.getfixturevalue("isolated_schema")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('chunks') / 'migrate.sqlite3'}"
    return make_settings(database_url=url)


def test_blobs_become_chunks_and_chunks_become_blobs_again(fresh_settings: Settings) -> None:
    """Every blob is cut into pieces of 256 KiB in order; downgrading joins them back."""
    migrations.upgrade(fresh_settings, "0003")
    engine = create_engine(fresh_settings.sqlalchemy_url)
    try:
        with engine.begin() as connection:
            _insert_files(connection)
        migrations.upgrade(fresh_settings, "0004")
        with engine.connect() as connection:
            pieces = connection.execute(
                text("SELECT file_id, seq, data FROM file_chunks ORDER BY file_id, seq")
            ).all()
        assert [(file_id, seq, len(data)) for file_id, seq, data in pieces] == [
            (1, 0, 5),
            (2, 0, PIECE),
            (2, 1, PIECE),
            (2, 2, 7),
            (3, 0, PIECE),
        ]
        for file_id, content in CONTENTS.items():
            joined = b"".join(bytes(data) for fid, _, data in pieces if fid == file_id)
            assert joined == content
        migrations.downgrade(fresh_settings, "0003")
        with engine.connect() as connection:
            blobs = connection.execute(text("SELECT file_id, content FROM file_blobs")).all()
        assert {file_id: bytes(content) for file_id, content in blobs} == CONTENTS
    finally:
        engine.dispose()


def _insert_files(connection: Connection) -> None:
    execute = connection.execute
    execute(
        text("INSERT INTO users (id, username, email, password) VALUES (1, 'u', 'u@x.org', 'x')")
    )
    for file_id, content in CONTENTS.items():
        execute(
            text(
                "INSERT INTO files (id, name, size, content_type, uploader_id)"
                " VALUES (:id, 'f', :size, 'x/y', 1)"
            ),
            {"id": file_id, "size": len(content)},
        )
        execute(
            text("INSERT INTO file_blobs (file_id, content) VALUES (:id, :content)"),
            {"id": file_id, "content": content},
        )
