"""Migration 0005 (canonical identity keys) on existing rows: it computes the keys, and when
two accounts would share one it stops with their ids and changes nothing (it never merges
them); on SQLite the table comes out with AUTOINCREMENT. On a fresh SQLite file and on the
test PostgreSQL server (in a schema of its own)."""

import pytest
from sqlalchemy import Engine, inspect, text

from users_service import migrations
from users_service.config import Settings
from users_service.users.identities import keys_of

from services.users.tests.migrations.conftest import Migrated

BEFORE = "0004"  # the revision before the canonical keys
ROWS = [  # id, username, email
    (1, "jos\u00e9", "jose@example.com"),
    (2, "jose\u0301", "jose2@example.com"),  # NFD of user 1's name
    (3, "bob", "bob@example.com"),
    (4, "\uff42\uff4f\uff42", "\uff42ob@example.com"),  # fullwidth: both keys are user 3's
    (5, "alone", "alone@example.com"),
]
FIXES = {2: ("jose2", "jose2@example.com"), 4: ("bob2", "bob2@example.com")}


@pytest.fixture
def migrated_before_keys(migrated_to: Migrated) -> tuple[Settings, Engine]:
    settings, engine = migrated_to(BEFORE)
    with engine.begin() as connection:
        for user_id, username, email in ROWS:
            connection.execute(
                text(
                    "INSERT INTO users (id, username, email, password, created_at) "
                    "VALUES (:i, :u, :e, 'x', '2017-08-01 23:59:59')"
                ),
                {"i": user_id, "u": username, "e": email},
            )
    return settings, engine


def _version(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar())


def test_colliding_accounts_stop_the_migration_with_their_ids(
    migrated_before_keys: tuple[Settings, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    settings, engine = migrated_before_keys
    with pytest.raises(RuntimeError) as refusal:
        migrations.upgrade(settings)
    message = str(refusal.value)
    print(f"\n{message}")
    for problem in ("username of users 1, 2", "username of users 3, 4", "email of users 3, 4"):
        assert problem in message
    assert "5" not in message.split(": ", 1)[1]
    assert message in caplog.text  # logged as well as raised
    assert _version(engine) == BEFORE
    columns = {column["name"] for column in inspect(engine).get_columns("users")}
    assert "username_key" not in columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == len(ROWS)


def test_once_resolved_the_keys_are_computed_for_every_row(
    migrated_before_keys: tuple[Settings, Engine], is_postgres: bool
) -> None:
    settings, engine = migrated_before_keys
    with engine.begin() as connection:
        for user_id, (username, email) in FIXES.items():
            connection.execute(
                text("UPDATE users SET username = :u, email = :e WHERE id = :i"),
                {"u": username, "e": email, "i": user_id},
            )
    migrations.upgrade(settings)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, username, email, username_key, email_key FROM users ORDER BY id")
        ).all()
        schema_sql = (
            ""
            if is_postgres
            else connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'users'")
            ).scalar()
        )
    for user_id, username, email, username_key, email_key in rows:
        keys = keys_of(username, email)
        assert (username_key, email_key) == (keys.username, keys.email), user_id
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5]  # ids kept
    if not is_postgres:
        assert "AUTOINCREMENT" in str(schema_sql)
