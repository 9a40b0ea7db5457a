"""Users tables of every benchmarked size, written once with COPY and swapped in by renaming.

Measuring a size right after writing it would also time the database flushing those
writes; writing the sizes one after another between phases would let load drifting on the
machine pass for an effect of the size. So each size is written up front into a table of its
own (a copy of `users`, indexes included), and the one being measured is renamed `users`:
a catalogue change, instant, that the service's next query follows.
"""

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, create_engine, text

from users_service.config import normalize_database_url

EMAIL_FORMAT = "bench%d@example.com"  # user n's email; the login script uses the same
FIRST_CREATED_AT = datetime(2026, 1, 1, tzinfo=UTC)
COLUMNS = "id, username, username_key, email, email_key, password, created_at"


class UserTables:
    """`users` holds users 1..size of the size in use; every user shares one password."""

    def __init__(self, url: str, template_email: str, sizes: tuple[int, ...]) -> None:
        """Seeded users get the hash of the user with `template_email`: one that the service
        made itself, so it has the production parameters and logins never rehash."""
        self._engine: Engine = create_engine(normalize_database_url(url))
        with self._engine.connect() as connection:
            query = text("SELECT password FROM users WHERE email = :email")
            self._hash = str(connection.scalar(query, {"email": template_email}))
        self._sizes = sorted(sizes)
        self._in_use = self._sizes[-1]

    def write(self) -> None:
        """Every size, the largest into `users` itself (ids 1..n, so it can keep serving
        logins and lookups), then vacuumed so no background work follows."""
        with self._engine.begin() as connection:
            # CASCADE: sessions and files of earlier runs reference users.
            connection.execute(text("TRUNCATE users RESTART IDENTITY CASCADE"))
            for size in self._sizes[:-1]:
                create = f"CREATE TABLE {_parked(size)} (LIKE users INCLUDING ALL)"
                connection.execute(text(create))
            for size in self._sizes:
                self._copy(connection, self._table(size), size)
            # Later inserts (a registration) must not collide with the seeded ids.
            sequence = "SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"
            connection.execute(text(sequence), {"n": self._sizes[-1]})
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for size in self._sizes:
                conn.execute(text(f"VACUUM (ANALYZE) {self._table(size)}"))

    def use(self, size: int) -> None:
        if size == self._in_use:
            return
        with self._engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE users RENAME TO {_parked(self._in_use)}"))
            connection.execute(text(f"ALTER TABLE {_parked(size)} RENAME TO users"))
        self._in_use = size

    def close(self) -> None:
        """The largest size back in `users`, the other tables dropped."""
        self.use(self._sizes[-1])
        with self._engine.begin() as connection:
            for size in self._sizes[:-1]:
                connection.execute(text(f"DROP TABLE IF EXISTS {_parked(size)}"))
        self._engine.dispose()

    def _table(self, size: int) -> str:
        return "users" if size == self._in_use else _parked(size)

    def _copy(self, connection: Connection, table: str, size: int) -> None:
        rows = io.StringIO()
        for n in range(1, size + 1):
            # Distinct, increasing creation times, as real sign-ups would have.
            created = (FIRST_CREATED_AT + timedelta(seconds=n)).isoformat()
            email = EMAIL_FORMAT % n  # ASCII: its own canonical key
            rows.write(f"{n}\tbench{n}\tbench{n}\t{email}\t{email}\t{self._hash}\t{created}\n")
        rows.seek(0)
        cursor = connection.connection.cursor()
        cursor.copy_expert(f"COPY {table} ({COLUMNS}) FROM STDIN", rows)


def _parked(size: int) -> str:
    return f"bench_users_{size}"
