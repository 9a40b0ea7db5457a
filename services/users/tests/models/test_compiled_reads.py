"""The hot reads run on the DBAPI cursor: the same rows as Core, the same errors, and a
dropped connection replaced without the request noticing."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, bindparam, column, event, select, table
from sqlalchemy.exc import DBAPIError

from users_service.auth.guards import IS_REVOKED, SIGNED_IN_USER
from users_service.models import User
from users_service.models.compiled_reads import CompiledRead
from users_service.models.database import db
from users_service.models.user import USERS
from users_service.users.routes import NEWEST_USERS, USER_BY_ID

SECRET_VALUE = "a value that no error message may repeat"


class Interrupted(BaseException):
    """What a deadline raises in a greenlet: not an Exception."""


class InterruptingValue:
    """A value that the driver's adaptation interrupts, in the middle of `execute`."""

    def __conform__(self, _protocol: object) -> Any:
        raise Interrupted


def _hot_reads(user: User) -> list[tuple[CompiledRead, dict[str, Any]]]:
    revocation = {"jti": "not-revoked", "family": None}
    cursor = {"after_created_at": datetime.now(UTC) + timedelta(days=1), "after_id": 1}
    return [
        (SIGNED_IN_USER, {"user_id": user.id, **revocation}),
        (IS_REVOKED, revocation),
        (USER_BY_ID, {"id": user.id}),
        (NEWEST_USERS.first, {"limit": 5}),
        (NEWEST_USERS.after, {"limit": 5, **cursor}),
    ]


def test_rows_are_the_rows_core_reads(app: Flask, make_user: Callable[..., User]) -> None:
    """Same values and same types on either dialect: aware UTC datetimes, real booleans."""
    user = make_user()
    make_user(admin=True)
    with app.app_context(), db.read_engine.connect() as connection:
        for read, values in _hot_reads(user):
            expected = [tuple(row) for row in connection.execute(read.statement, values)]
            rows = read.all(connection, values)
            assert rows
            assert [tuple(row) for row in rows] == expected
            for row, core_row in zip(rows, expected, strict=True):
                assert [type(value) for value in row] == [type(value) for value in core_row]
            assert tuple(read.first(connection, values)) == expected[0]


def test_rows_are_named_as_the_statement_names_its_columns(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    with app.app_context(), db.read_engine.connect() as connection:
        row = USER_BY_ID.first(connection, {"id": user.id})
    assert row is not None
    assert (row.id, row.email) == (user.id, user.email)
    assert row.created_at.tzinfo is UTC
    with app.app_context(), db.read_engine.connect() as connection:
        assert USER_BY_ID.first(connection, {"id": user.id + 1000}) is None


def test_a_dropped_connection_is_replaced_and_the_read_still_answers(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    with app.app_context(), db.read_engine.connect() as connection:
        dropped = connection.connection.dbapi_connection
        assert dropped is not None
        dropped.close()  # as a database restart leaves it
        row = USER_BY_ID.first(connection, {"id": user.id})
        assert row is not None
        assert row.id == user.id
        assert connection.connection.dbapi_connection is not dropped


def test_a_refused_read_is_raised_as_core_raises_it_without_its_values(app: Flask) -> None:
    missing = table("no_such_table", column("name"))
    read = CompiledRead(select(missing.c.name).where(missing.c.name == bindparam("name")))
    with app.app_context(), db.read_engine.connect() as connection:
        dbapi_connection = connection.connection.dbapi_connection
        with pytest.raises(DBAPIError) as refused:
            read.first(connection, {"name": SECRET_VALUE})
        assert SECRET_VALUE not in str(refused.value)
        assert "no_such_table" in str(refused.value)
        assert not connection.invalidated  # the connection itself is fine
        assert connection.connection.dbapi_connection is dbapi_connection


def test_an_interrupted_read_gives_up_its_connection(app: Flask) -> None:
    """A deadline may strike mid-query: the connection's state is unknown, so it is not
    given back to the pool for the next request."""
    with app.app_context(), db.read_engine.connect() as connection:
        with pytest.raises(Interrupted):
            USER_BY_ID.first(connection, {"id": InterruptingValue()})
        assert connection.invalidated


def test_statement_listeners_see_the_hot_reads(app: Flask, make_user: Callable[..., User]) -> None:
    """With a listener on the engine (tracing, a test counting queries), the read runs
    through Core so that the listener sees it; the rows are the same."""
    user = make_user()
    seen: list[str] = []

    def record(_conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.read_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            with engine.connect() as connection:
                row = USER_BY_ID.first(connection, {"id": user.id})
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert row is not None
    assert row.id == user.id
    assert len(seen) == 1
    assert "FROM users" in seen[0]


def test_an_expanding_in_list_is_refused(app: Flask) -> None:
    """Each read binds each value once; an IN list of any length would compile anew."""
    read = CompiledRead(select(USERS.c.id).where(USERS.c.id.in_(bindparam("ids", expanding=True))))
    with (
        app.app_context(),
        db.read_engine.connect() as connection,
        pytest.raises(ValueError, match="expanding"),
    ):
        read.all(connection, {"ids": [1, 2]})
