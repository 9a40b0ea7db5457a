"""Fixtures of the files tests."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from users_service.models.database import db

MARK = "test_inserted_a_file"

# `fail_file_commits(lands=False)`
FailFileCommits = Callable[..., None]


@pytest.fixture
def fail_file_commits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FailFileCommits]:
    """Make the COMMIT of a transaction that inserted a `files` row raise the driver's
    OperationalError: before the database applied it, or with `lands=True` after (a reply
    lost on the way back). Every other commit (the guard's, the limiter's) goes through, so
    the failure reaches the storage's own commit rather than stopping the request earlier."""
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect
    real_commit = dialect.do_commit

    def mark(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO FILES "):
            connection.info[MARK] = True

    def install(*, lands: bool = False) -> None:
        def do_commit(dbapi_connection: Any) -> None:
            if not dbapi_connection.info.pop(MARK, False):
                real_commit(dbapi_connection)
                return
            if lands:
                real_commit(dbapi_connection)
            raise dialect.loaded_dbapi.OperationalError("injected: connection lost at COMMIT")

        event.listen(engine, "before_cursor_execute", mark)
        monkeypatch.setattr(dialect, "do_commit", do_commit)

    yield install
    if event.contains(engine, "before_cursor_execute", mark):
        event.remove(engine, "before_cursor_execute", mark)
