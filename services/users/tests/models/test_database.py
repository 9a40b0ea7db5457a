"""Connection settings that keep outages short: bounded pool, timeouts in force, and a lost
connection costing one 503 at most, never a 500."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool, QueuePool

from users_service.config import Settings
from users_service.models import database
from users_service.models.database import build_engine, db
from users_service.models.user import User

MakeSettings = Callable[..., Settings]


def test_pool_is_bounded_and_not_pinged(make_settings: MakeSettings, is_postgres: bool) -> None:
    """A worker holds at most pool size + overflow connections, none pinged before use (a
    round trip per request): a dropped connection is found by the request that meets it."""
    engine = build_engine(make_settings(db_pool_size=3, db_max_overflow=2))
    try:
        if is_postgres:
            assert isinstance(engine.pool, QueuePool)
            assert engine.pool.size() == 3
            assert engine.pool._max_overflow == 2  # no public accessor
            assert not engine.pool._pre_ping
        else:
            assert engine.dialect.name == "sqlite"
    finally:
        engine.dispose()


def test_session_settings_are_in_force(app: Flask, settings: Settings, is_postgres: bool) -> None:
    """PostgreSQL: statement timeout and application name; SQLite: WAL for several workers."""
    with app.app_context(), db.engine.connect() as connection:
        if is_postgres:
            timeout = connection.exec_driver_sql("SHOW statement_timeout").scalar()
            assert timeout == f"{settings.db_statement_timeout_ms // 1000}s"
            assert connection.exec_driver_sql("SHOW application_name").scalar() == "users-service"
        else:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def autocommit(connection: Any) -> bool:
    """Whether the DBAPI connection under a SQLAlchemy one commits every statement itself."""
    dbapi = connection.connection.dbapi_connection
    return bool(dbapi.autocommit) if hasattr(dbapi, "autocommit") else dbapi.isolation_level is None


def test_reads_run_in_autocommit_and_writes_in_transactions(app: Flask) -> None:
    """The pool's connections rest in autocommit, what reads use as they are; the session
    that writes takes a transaction, and gives the connection back as it found it."""
    with app.app_context():
        assert autocommit(db.reads.connection())
        assert not autocommit(db.session.connection())
        db.session.close()
        db.reads.close()
        with db.read_engine.connect() as connection:
            assert autocommit(connection)


def test_a_write_session_rolls_back_as_a_whole(app: Flask) -> None:
    """Written, flushed, unseen by the reads until committed, and gone on rollback."""
    count = select(func.count()).select_from(User)
    with app.app_context():
        before = db.reads.scalar(count)
        db.session.add(User(username="tx", email="tx@example.com", password_hash="x"))
        db.session.flush()
        assert db.session.scalar(count) == before + 1
        assert db.reads.scalar(count) == before
        db.session.rollback()
        assert db.session.scalar(count) == db.reads.scalar(count) == before


def test_slow_statement_is_cancelled_into_a_fast_503(
    make_app: Callable[..., Flask], is_postgres: bool
) -> None:
    """A statement past DB_STATEMENT_TIMEOUT_MS is cancelled by the server: 503, not a hang."""
    slow_app = make_app(db_statement_timeout_ms=200)

    @slow_app.get("/_slow")
    def _slow() -> dict[str, str]:
        db.session.execute(text("SELECT pg_sleep(3)" if is_postgres else "SELECT 1"))
        return {"status": "success"}

    start = time.perf_counter()
    reply = slow_app.test_client().get("/_slow")
    elapsed = time.perf_counter() - start
    if is_postgres:
        assert reply.status_code == 503
        assert reply.get_json()["status"] == "error"
        assert elapsed < 2
    else:  # SQLite has no statement timeout; the route simply answers
        assert reply.status_code == 200


def test_the_database_host_is_resolved_in_python_within_the_connect_timeout(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq's own lookup blocks the gevent worker and ignores connect_timeout: a name that
    does not resolve must fail the connection within DB_CONNECT_TIMEOUT_SECONDS instead."""

    def slow_lookup(*_args: object, **_kwargs: object) -> list[object]:
        time.sleep(3)
        return []

    monkeypatch.setattr(database.socket, "getaddrinfo", slow_lookup)
    url = "postgresql://nobody:x@db.example.invalid:5432/none"
    engine = build_engine(make_settings(database_url=url, db_connect_timeout_seconds=1))
    start = time.perf_counter()
    with pytest.raises(OperationalError, match="could not resolve database host"):
        engine.connect()
    assert time.perf_counter() - start < 2


@pytest.mark.postgres_only
def test_libpq_is_handed_the_resolved_address(
    make_settings: MakeSettings, database_url: str
) -> None:
    named = make_url(database_url).set(host="localhost")
    engine = build_engine(make_settings(database_url=named.render_as_string(hide_password=False)))
    try:
        with engine.connect() as connection:
            parameters = connection.connection.dbapi_connection.get_dsn_parameters()  # type: ignore[union-attr]
    finally:
        engine.dispose()
    assert parameters["host"] == "localhost"
    assert parameters["hostaddr"] in {"127.0.0.1", "::1"}


def _drop_every_connection_but_this_one(database_url: str) -> int:
    """What a database restart or failover does to the pool: every connection killed (the
    service's: its role's, which are all this role may end)."""
    with build_engine_for_admin(database_url).connect() as admin:
        return len(
            admin.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND usename = current_user"
            ).all()
        )


def build_engine_for_admin(database_url: str) -> Engine:
    url = make_url(database_url).set(drivername="postgresql+psycopg2")
    return create_engine(url, poolclass=NullPool)


@pytest.mark.postgres_only
@pytest.mark.parametrize("path", ["/users", "/auth/status"])
def test_a_connection_lost_after_the_reply_is_ready_keeps_the_reply(
    app: Flask, client: FlaskClient, user_token: str, database_url: str, path: str
) -> None:
    """The sessions are closed after the view: a connection the database drops meanwhile
    (both sessions' connections, one with an open transaction) must not turn the view's
    reply into a 500 the client cannot retry."""
    dropped: list[int] = []

    def database_restarts(response: Response) -> Response:
        db.session.execute(text("SELECT 1"))  # a transaction left open for the teardown
        dropped.append(_drop_every_connection_but_this_one(database_url))
        return response

    # The token fixture has already served a request: add the hook past Flask's setup check.
    app.after_request_funcs.setdefault(None, []).append(database_restarts)

    reply = client.get(path, headers={"Authorization": f"Bearer {user_token}"})
    assert len(dropped) == 1
    assert dropped[0] >= 1
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["status"] == "success"


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/users"), ("GET", "/ready"), ("GET", "/auth/logout"), ("POST", "/auth/login")],
)
def test_after_a_database_restart_at_most_one_request_per_pool_fails_and_with_a_503(
    client: FlaskClient, user_token: str, database_url: str, method: str, path: str
) -> None:
    """Without a ping before each use, the first request on a dropped connection fails; the
    pool then replaces every connection older than the failure, so the next one succeeds.
    Reads meet the dead connection in their query, writes already when the connection is
    switched to a transaction on checkout: both are a 503, never a 500."""

    def send() -> int:
        headers = {"Authorization": f"Bearer {user_token}"}
        body = {"email": "nobody@example.com", "password": "not the password"}
        return client.open(path, method=method, headers=headers, json=body).status_code

    for _ in range(3):  # several connections in the pool
        assert client.get("/users").status_code == 200
    assert _drop_every_connection_but_this_one(database_url) >= 1
    first, *then = [send() for _ in range(3)]
    assert first == 503 or first < 500
    assert max(then) < 500  # logout: 200, then 401 (revoked); login: 404 (no such user)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_new_sqlite_file_is_readable_by_its_owner_only(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    """Defect: var/users.sqlite3 (password hashes) was world-readable. The app creates the
    file before SQLite or a migration does, 0600, and SQLite gives its WAL files that mode."""
    path = tmp_path / "fresh" / "users.sqlite3"
    engine = build_engine(make_settings(database_url=f"sqlite:///{path}"))
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        companions = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        assert {p.name for p in companions} >= {"users.sqlite3", "users.sqlite3-wal"}
        assert {p.name: _mode(p) for p in companions} == {p.name: 0o600 for p in companions}
    finally:
        engine.dispose()


def test_an_existing_readable_sqlite_file_is_made_private(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    path = tmp_path / "users.sqlite3"
    for name in (path, tmp_path / "users.sqlite3-wal"):
        name.touch()
        name.chmod(0o644)
    build_engine(make_settings(database_url=f"sqlite:///{path}")).dispose()
    assert _mode(path) == _mode(tmp_path / "users.sqlite3-wal") == 0o600
