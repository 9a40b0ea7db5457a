"""The benchmark's PostgreSQL database: a throwaway one or BENCH_DATABASE_URL, emptied,
migrated, and filled fast with COPY."""

import io
import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, text

from bench.processes import SERVICE_BIN
from users_service.config import normalize_database_url

REPO = Path(__file__).resolve().parents[3]
LOCAL_POSTGRES = REPO / "scripts" / "local-postgres"
USERS_SERVICE = SERVICE_BIN / "users-service"
EMAIL_FORMAT = "bench%d@example.com"  # user n's email; the login script uses the same
FIRST_CREATED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@contextmanager
def bench_database(url: str | None) -> Iterator[str]:
    """`url` as given, or a database created for this run and dropped after it."""
    if url:
        yield url
        return
    created = _create_throwaway()
    try:
        yield created["TEST_DATABASE_URL"]
    finally:
        subprocess.run([str(LOCAL_POSTGRES), "drop", created["TEST_DATABASE_NAME"]], check=True)  # noqa: S603


def _create_throwaway() -> dict[str, str]:
    if os.geteuid() != 0:
        raise SystemExit("set BENCH_DATABASE_URL, or run as root to create a throwaway database")
    output = subprocess.run(  # noqa: S603
        [str(LOCAL_POSTGRES), "create"], check=True, capture_output=True, text=True
    ).stdout
    exports = (line.removeprefix("export ") for line in output.splitlines())
    return dict(line.split("=", 1) for line in exports if "=" in line)


def reset_and_migrate(service_env: Mapping[str, str]) -> None:
    """Drop every table (whatever revision left them), then run the service's migrations
    with the service's own (production) environment."""
    engine = create_engine(normalize_database_url(service_env["DATABASE_URL"]))
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
    finally:
        engine.dispose()
    subprocess.run([str(USERS_SERVICE), "db", "upgrade"], check=True, env=service_env)  # noqa: S603


class Seeder:
    """Grows the users table to a given size; every seeded user shares one password hash."""

    def __init__(self, url: str, template_email: str) -> None:
        """Seeded users get the hash of the user with `template_email`: one that the service
        made itself, so it has the production parameters and logins never rehash."""
        self._engine: Engine = create_engine(normalize_database_url(url))
        with self._engine.connect() as connection:
            query = text("SELECT password FROM users WHERE email = :email")
            self._hash = str(connection.scalar(query, {"email": template_email}))

    def grow_to(self, size: int) -> None:
        """Add users n+1..size (user n is EMAIL_FORMAT % n), in one COPY, then ANALYZE."""
        with self._engine.begin() as connection:
            present = int(connection.scalar(text("SELECT count(*) FROM users")) or 0)
        if size > present:
            self._copy(range(present + 1, size + 1))

    def id_range(self) -> tuple[int, int]:
        with self._engine.connect() as connection:
            low, high = connection.execute(text("SELECT min(id), max(id) FROM users")).one()
        return int(low), int(high)

    def close(self) -> None:
        self._engine.dispose()

    def _copy(self, numbers: range) -> None:
        rows = io.StringIO()
        for n in numbers:
            # Distinct, increasing creation times, as real sign-ups would have.
            created = (FIRST_CREATED_AT + timedelta(seconds=n)).isoformat()
            rows.write(f"bench{n}\t{EMAIL_FORMAT % n}\t{self._hash}\t{created}\n")
        rows.seek(0)
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.copy_expert(
                "COPY users (username, email, password, created_at) FROM STDIN", rows
            )
            connection.commit()
        finally:
            connection.close()
        self._settle()

    def _settle(self) -> None:
        # Statistics for the planner, hint bits and visibility map set now rather than by
        # the first requests or by an autovacuum in the middle of a measurement.
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) users"))
