"""One migration at a time: every `db upgrade` on PostgreSQL holds one advisory lock.

Two deploys (or a deploy and an operator) can start migrations at once; without a lock both
would run the same revision's DDL and one would fail half way. The lock is taken for the
session, so it is released however the migration ends, even if the process dies.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, pool

from users_service.config import Settings

# Any fixed 64-bit number that no other code on the database uses for an advisory lock.
LOCK_KEY = 0x7573_6572_735F_6D69  # "users_mi"
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.5


class MigrationLockHeldError(Exception):
    """Another migration held the lock for longer than we were willing to wait."""


@contextmanager
def locked_connection(
    settings: Settings, wait_seconds: float | None = None
) -> Iterator[Connection]:
    """A connection that holds the migration lock until it closes; waits for it at most
    `wait_seconds` (WAIT_SECONDS by default)."""
    engine = create_engine(settings.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _acquire(connection, WAIT_SECONDS if wait_seconds is None else wait_seconds)
            yield connection
    finally:
        engine.dispose()


def _acquire(connection: Connection, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        locked = connection.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).scalar()
        connection.commit()  # the lock is the session's; end the statement's transaction
        if locked:
            return
        if time.monotonic() >= deadline:
            raise MigrationLockHeldError(
                f"another migration held the lock for {wait_seconds:.0f} s; try again when it ends"
            )
        time.sleep(POLL_SECONDS)
