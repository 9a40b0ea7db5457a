"""Alembic migrations: up, down and up again; the models and the migrations agree."""

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import Connection, Engine, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from users_service import migrations
from users_service.config import Settings, normalize_database_url
from users_service.models import Base, User
from users_service.models.database import db

from services.users.tests.support.helpers import migration_head

HEAD = migration_head()
OUR_TABLES = {
    "users",
    "revoked_tokens",
    "refresh_tokens",
    "rate_limit_counters",
    "files",
    "file_chunks",
    "sessions",
    "account_tokens",
}
USER_INDEXES = {"uq_users_email_key", "uq_users_username_key", "ix_users_created_at_id"}
UNIQUE_INDEXES = {"uq_users_email_key", "uq_users_username_key"}


def _index_names(connection: Connection, schema: str | None) -> set[str]:
    """Index names of the users table, read from the catalog (expression indexes included)."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'")
        )
    else:
        rows = connection.execute(
            text("SELECT indexname FROM pg_indexes WHERE schemaname = :s AND tablename = 'users'"),
            {"s": schema},
        )
    return {row[0] for row in rows}


def _unique_index_names(connection: Connection, schema: str | None) -> set[str]:
    """Names of the unique indexes on users (SQLite: PRAGMA index_list; PG: pg_index)."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("PRAGMA index_list('users')")).all()
        return {row[1] for row in rows if row[2]}
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE t.relname = 'users' AND n.nspname = :s AND i.indisunique"
        ),
        {"s": schema},
    ).all()
    return {row[0] for row in rows}


def _tables(engine: Engine, schema: str | None) -> set[str]:
    return set(inspect(engine).get_table_names(schema=schema))


def _migration_cycle(settings: Settings, engine: Engine, schema: str | None) -> None:
    """upgrade head -> check -> downgrade base -> check -> upgrade head -> check."""
    migrations.upgrade(settings)
    assert _tables(engine, schema) == OUR_TABLES | {"alembic_version"}
    with engine.connect() as connection:
        assert _index_names(connection, schema) >= USER_INDEXES
        assert _unique_index_names(connection, schema) >= UNIQUE_INDEXES
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (HEAD,)
        ]

    migrations.downgrade(settings, "base")
    assert _tables(engine, schema) <= {"alembic_version"}
    assert not _tables(engine, schema) & OUR_TABLES
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0

    migrations.upgrade(settings)
    assert _tables(engine, schema) == OUR_TABLES | {"alembic_version"}
    with engine.connect() as connection:
        assert _index_names(connection, schema) >= USER_INDEXES


def _sqlite_cycle(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    settings = make_settings(database_url=f"sqlite:///{path}")
    engine = create_engine(settings.sqlalchemy_url)
    try:
        assert _tables(engine, None) == set()
        _migration_cycle(settings, engine, None)
    finally:
        engine.dispose()


def test_migration_cycle_on_a_fresh_sqlite_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A new SQLite file goes up to head, down to base and up again with every index."""
    _sqlite_cycle(make_settings, tmp_path)


def test_migration_cycle_on_the_test_database_server(
    request: pytest.FixtureRequest,
    is_postgres: bool,
    database_url: str,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    """PostgreSQL: the cycle runs in a separate schema; SQLite runs: on a fresh file."""
    if not is_postgres:
        assert database_url.startswith("sqlite")
        _sqlite_cycle(make_settings, tmp_path)
        return
    schema, url = request.getfixturevalue("isolated_schema")
    settings = make_settings(database_url=url)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_schema()")).scalar() == schema
        assert _tables(engine, schema) == set()
        _migration_cycle(settings, engine, schema)
    finally:
        engine.dispose()
    # The shared test schema was not touched by the cycle.
    shared = create_engine(normalize_database_url(database_url))
    try:
        assert set(inspect(shared).get_table_names()) >= OUR_TABLES
    finally:
        shared.dispose()


# SQLite cannot reflect expression-based indexes, so there Alembic leaves the two
# functional unique indexes out of the comparison (with these warnings) instead of
# reporting them as differences; their presence is checked from the catalog in
# _migration_cycle. On PostgreSQL they are compared like any other index.
EXPRESSION_INDEX_WARNINGS = [
    "ignore:Skipped unsupported reflection of expression-based index",
    "ignore:autogenerate skipping metadata-specified expression-based index",
]


@pytest.mark.filterwarnings(*EXPRESSION_INDEX_WARNINGS)
def test_models_match_the_migrations(app: Flask) -> None:
    """After upgrade head, autogenerate finds nothing to change between models and schema."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    print(f"\nautogenerate differences: {diffs}")
    assert diffs == []


@pytest.mark.filterwarnings(*EXPRESSION_INDEX_WARNINGS)
def test_models_match_a_freshly_migrated_sqlite_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """The same comparison on a brand-new SQLite file migrated from scratch."""
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'compare.sqlite3'}")
    migrations.upgrade(settings)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_upgrade_is_idempotent_and_keeps_data(
    app: Flask, settings: Settings, make_user: Callable[..., User]
) -> None:
    """Running upgrade head on a migrated database changes nothing and loses no row."""
    user = make_user(username="survivor", email="survivor@example.com")
    migrations.upgrade(settings)
    migrations.upgrade(settings)
    with app.app_context():
        found = db.session.scalars(select(User).where(User.id == user.id)).one()
        assert (found.username, found.email) == ("survivor", "survivor@example.com")
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).all()
        assert version == [(HEAD,)]


def test_unique_indexes_are_enforced_case_insensitively(app: Flask) -> None:
    """The migrated uq_users_* indexes refuse the same email or username in another case
    (the keys are the canonical forms that users/identities.py computes)."""
    with app.app_context(), db.engine.connect() as connection:
        insert = text(
            "INSERT INTO users (username, email, username_key, email_key, password, active, "
            "admin, created_at) VALUES (:u, :e, lower(:u), lower(:e), 'x', :t, :f, :c)"
        )
        values = {"t": True, "f": False, "c": "2026-01-01 00:00:00"}
        connection.execute(insert, {"u": "Alice", "e": "alice@example.com", **values})
        connection.commit()
        for clash in (
            {"u": "ALICE", "e": "other@example.com"},
            {"u": "bob", "e": "Alice@Example.COM"},
        ):
            with pytest.raises(IntegrityError):
                connection.execute(insert, {**clash, **values})
            connection.rollback()
