"""Engine construction and the per-request sessions.

The pool is bounded and every statement has a server-side timeout, so a database outage
turns into fast 503s instead of hung workers, and the service recovers by itself when the
database is back. Connections are not pinged before use (that would be a round trip on
every request): a connection the database dropped fails the one request that meets it with
a 503, and SQLAlchemy then replaces every connection of the pool that predates the failure.
"""

import logging
import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext, suppress
from pathlib import Path
from typing import Any

import psycopg2
from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session

from users_service.config import Settings
from users_service.models.compiled_reads import CompiledRead
from users_service.models.fair_pool import FairQueuePool

ENGINE_KEY = "users_service.engine"
READ_ENGINE_KEY = "users_service.read_engine"
# Connections live in autocommit, what reads want; a session that writes asks for
# transactions. Most requests only read, and switching a connection's level on checkout and
# back on return costs every request that does.
AUTOCOMMIT = "AUTOCOMMIT"
TRANSACTIONS = {"postgresql": "READ COMMITTED", "sqlite": "SERIALIZABLE"}
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")  # SQLite gives each the file's mode
log = logging.getLogger(__name__)


def build_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    engine = create_engine(
        url,
        isolation_level=AUTOCOMMIT,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        poolclass=FairQueuePool.with_queue_limits(
            settings.db_pool_queue_max, settings.db_pool_queue_max_wait_seconds
        ),
        pool_recycle=300,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            "options": _session_options(settings),
            "application_name": "users-service",
            # Detect a silently dead peer (no RST) within seconds rather than hours.
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
        },
    )
    event.listen(engine, "do_connect", _connect_within(settings.db_connect_timeout_seconds))
    return engine


def _session_options(settings: Settings) -> str:
    idle = settings.db_idle_in_transaction_timeout_ms
    return (
        f"-c statement_timeout={settings.db_statement_timeout_ms}"
        f" -c idle_in_transaction_session_timeout={idle}"
    )


def _connect_within(timeout: float) -> Any:
    """A do_connect hook that makes DB_CONNECT_TIMEOUT_SECONDS hold for the whole connect.

    libpq enforces connect_timeout only in its blocking connect. Under gevent, psycogreen
    connects asynchronously and nothing bounds the wait, so a connect to an address that no
    longer answers (a stopped container, a failed-over host) hangs for TCP's own retries.
    And libpq looks the host name up with a blocking getaddrinfo that stalls the whole gevent
    worker, /ping included. So the name is resolved here, in Python, within the timeout, and
    libpq gets the address (`hostaddr`; `host` still names the server for TLS), all under a
    gevent deadline when gevent runs.
    """

    def do_connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        with _green_deadline(timeout):
            host = cparams.get("host")
            if host and "hostaddr" not in cparams and not host.startswith("/") and "," not in host:
                cparams["hostaddr"] = _lookup(host, int(cparams.get("port") or 5432), timeout)
            return dialect.loaded_dbapi.connect(*cargs, **cparams)

    return do_connect


def _green_deadline(timeout: float) -> AbstractContextManager[object]:
    """gevent's Timeout when gevent has patched this process; else nothing (libpq's own
    connect_timeout holds in a blocking connect)."""
    if "gevent" in sys.modules:
        import gevent.monkey

        if gevent.monkey.is_module_patched("socket"):
            failure = psycopg2.OperationalError(f"no database connection within {timeout} s")
            deadline: AbstractContextManager[object] = gevent.Timeout(timeout, failure)
            return deadline
    return nullcontext()


def _lookup(host: str, port: int, timeout: float) -> str:
    pool = ThreadPoolExecutor(max_workers=1)  # cooperative under gevent's patched threading
    try:
        found = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        return str(found.result(timeout)[0][4][0])
    except (TimeoutError, OSError, IndexError) as error:
        raise psycopg2.OperationalError(f"could not resolve database host {host!r}") from error
    finally:
        pool.shutdown(wait=False)  # a lookup that outlives the timeout finishes on its own


def _sqlite_engine(url: str) -> Engine:
    _owner_only(make_url(url).database)
    engine = create_engine(
        url, isolation_level=AUTOCOMMIT, connect_args={"check_same_thread": False, "timeout": 10}
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _owner_only(database: str | None) -> None:
    """The file holds password hashes: create it readable by its owner alone (0600), and
    take group and world access from a file created earlier (by an older version, or a
    migration run without the app). The app is built before `db upgrade` migrates, so a new
    file is never world-readable, not even for a moment."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):  # SQLite takes an empty file as an empty database
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        try:
            if companion.exists() and companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        except PermissionError:  # another user's file: say so rather than refuse to start
            log.warning("%s is readable by others and not ours to change", companion)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL and a busy timeout let several gunicorn workers share the embedded file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """Unbound until init_app. Two sessions per request (greenlet or thread), on one pool:

    - `session`, for anything that writes: transactions as usual;
    - `reads`, for what only reads: autocommit, so each query is one round trip, with no
      BEGIN before it nor ROLLBACK when the connection goes back to the pool, and no change
      of the connection's isolation level either way (autocommit is the pool's own).

    The reads that nearly every request makes (the guard's, a user by id, a page of users)
    skip the ORM and Core's execution: `read_one` and `read_all` run a `CompiledRead` on a
    connection held only for that statement. Building objects from rows and tracking them
    cost those requests more than the round trip itself.

    The one instance is `db`, below."""

    def __init__(self) -> None:
        self._sessions: scoped_session[Session] = scoped_session(self._new_session)  # type: ignore[arg-type]
        self._reads: scoped_session[Session] = scoped_session(self._new_reads)  # type: ignore[arg-type]

    def init_app(self, app: Flask, settings: Settings) -> None:
        engine = build_engine(settings)
        transactions = TRANSACTIONS[engine.dialect.name]
        app.extensions[ENGINE_KEY] = engine.execution_options(isolation_level=transactions)
        app.extensions[READ_ENGINE_KEY] = engine
        app.teardown_appcontext(self._remove_sessions)

    @property
    def session(self) -> Session:
        return self._sessions()

    @property
    def reads(self) -> Session:
        return self._reads()

    @property
    def engine(self) -> Engine:
        engine: Engine = current_app.extensions[ENGINE_KEY]
        return engine

    @property
    def read_engine(self) -> Engine:
        """The engine in autocommit: for a query on its own connection (a download's chunk)."""
        engine: Engine = current_app.extensions[READ_ENGINE_KEY]
        return engine

    def read_one(self, read: CompiledRead, **params: Any) -> Any | None:
        """The first row of a compiled read, in autocommit."""
        with self.read_engine.connect() as connection:
            return read.first(connection, params)

    def read_all(self, read: CompiledRead, **params: Any) -> list[Any]:
        """Every row of a compiled read, in autocommit."""
        with self.read_engine.connect() as connection:
            return read.all(connection, params)

    def _new_session(self) -> Session:
        return Session(bind=self.engine, expire_on_commit=False)

    def _new_reads(self) -> Session:
        return Session(bind=self.read_engine, expire_on_commit=False)

    def _remove_sessions(self, _exc: BaseException | None) -> None:
        for sessions in (self._reads, self._sessions):
            _close(sessions)


def _close(sessions: scoped_session[Session]) -> None:
    """Close this request's session after its reply is made. Closing rolls back what is still
    open; a connection the database dropped meanwhile makes that fail, and the failure would
    replace a finished reply with a 500. SQLAlchemy has already discarded the connection."""
    if not sessions.registry.has():  # most requests never open one of the two
        return
    try:
        sessions.remove()
    except DBAPIError as error:
        log.warning("database connection lost while closing a session: %s", type(error).__name__)
    finally:
        sessions.registry.clear()  # never hand the broken session to a later request


db = Database()
