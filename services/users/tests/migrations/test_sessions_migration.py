"""Migration 0006 (sessions) on existing rows: every refresh-token family that could still
be refreshed becomes a session of generation 0; spent, expired and revoked families do
not. On a fresh SQLite file and on the test PostgreSQL server (in a schema of its own)."""

from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, inspect, text

from users_service import clock, migrations
from users_service.config import Settings

from services.users.tests.migrations.conftest import Migrated

BEFORE = "0005"
SOON, PAST = timedelta(days=3), timedelta(days=-1)
FAMILIES = {  # family: (user id, expires in, spent, revoked)
    "a" * 32: (1, SOON, False, False),
    "b" * 32: (2, SOON, False, False),
    "c" * 32: (1, PAST, False, False),  # expired
    "d" * 32: (1, SOON, True, False),  # its only token spent: nothing left to refresh
    "e" * 32: (2, SOON, False, True),  # revoked (logged out)
}


@pytest.fixture
def migrated_before_sessions(migrated_to: Migrated) -> tuple[Settings, Engine]:
    settings, engine = migrated_to(BEFORE)
    with engine.begin() as connection:
        for user_id in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO users (id, username, email, username_key, email_key, password)"
                    " VALUES (:i, :n, :e, :n, :e, 'x')"
                ),
                {"i": user_id, "n": f"user{user_id}", "e": f"user{user_id}@example.com"},
            )
        for family, (user_id, expires_in, spent, revoked) in FAMILIES.items():
            _insert_family(connection, family, user_id, expires_in, spent, revoked)
    return settings, engine


def _insert_family(
    connection: Connection,
    family: str,
    user_id: int,
    expires_in: timedelta,
    spent: bool,
    revoked: bool,
) -> None:
    expires_at = (clock.now() + expires_in).replace(tzinfo=None)
    spent_at = expires_at if spent else None
    connection.execute(
        text(
            "INSERT INTO refresh_tokens (token_hash, family, user_id, expires_at, used_at)"
            " VALUES (:h, :f, :u, :x, :used)"
        ),
        {"h": family * 2, "f": family, "u": user_id, "x": expires_at, "used": spent_at},
    )
    if revoked:
        connection.execute(
            text("INSERT INTO revoked_tokens (jti, expires_at) VALUES (:j, :x)"),
            {"j": f"family:{family}", "x": expires_at},
        )


def test_live_families_become_sessions(migrated_before_sessions: tuple[Settings, Engine]) -> None:
    settings, engine = migrated_before_sessions
    migrations.upgrade(settings)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, user_id, generation, user_agent FROM sessions ORDER BY id")
        ).all()
        generations = connection.execute(text("SELECT session_generation FROM users")).scalars()
        assert set(generations) == {0}
    assert [tuple(row) for row in rows] == [("a" * 32, 1, 0, None), ("b" * 32, 2, 0, None)]


def test_downgrade_drops_sessions(migrated_before_sessions: tuple[Settings, Engine]) -> None:
    settings, engine = migrated_before_sessions
    migrations.upgrade(settings)
    migrations.downgrade(settings, BEFORE)
    inspector = inspect(engine)
    columns = {column["name"] for column in inspector.get_columns("users")}
    assert "session_generation" not in columns
    assert "username_key" in columns
    assert "sessions" not in inspector.get_table_names()
