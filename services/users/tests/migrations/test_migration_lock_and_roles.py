"""Migrations on PostgreSQL: one at a time under an advisory lock, and the application's own
role with data privileges only (APP_DATABASE_URL)."""

import secrets
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, exc, inspect, text
from sqlalchemy.engine import make_url

from users_service import migrations
from users_service.config import Settings, normalize_database_url
from users_service.migrations.lock import MigrationLockHeldError, locked_connection

pytestmark = pytest.mark.postgres_only


def test_a_second_migration_waits_for_the_lock_then_gives_up(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    with (
        locked_connection(settings),
        pytest.raises(MigrationLockHeldError),
        locked_connection(settings, wait_seconds=0.3),
    ):
        pytest.fail("two connections held the migration lock at once")
    with locked_connection(settings, wait_seconds=0):  # released with the first connection
        pass


def test_concurrent_upgrades_of_an_empty_schema_run_one_after_the_other(
    isolated_schema: tuple[str, str], make_settings: Callable[..., Settings]
) -> None:
    """Without the lock both would create the same tables and one would fail half way."""
    schema, url = isolated_schema
    settings = make_settings(database_url=url)
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            migrations.upgrade(settings)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    engine = create_engine(settings.sqlalchemy_url)
    try:
        assert {"users", "files", "alembic_version"} <= set(inspect(engine).get_table_names(schema))
    finally:
        engine.dispose()


def test_db_upgrade_exits_75_while_another_migration_holds_the_lock(
    app: Flask, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("users_service.migrations.lock.WAIT_SECONDS", 0.3)
    with locked_connection(settings):
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 75
    assert "another migration held the lock" in result.output


@pytest.fixture
def app_role(database_url: str) -> Iterator[tuple[str, str]]:
    """A role name and password for the application; removed afterwards."""
    name, password = f"app_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    yield name, password
    owner = create_engine(normalize_database_url(database_url))
    with owner.begin() as connection:
        if connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
        ).first():
            connection.execute(text(f'GRANT "{name}" TO CURRENT_USER'))  # PG 15: to drop it
            connection.execute(text(f'DROP OWNED BY "{name}"'))
            connection.execute(text(f'DROP ROLE "{name}"'))
    owner.dispose()


def test_the_application_role_writes_rows_and_changes_no_schema(
    isolated_schema: tuple[str, str],
    make_settings: Callable[..., Settings],
    app_role: tuple[str, str],
) -> None:
    _, url = isolated_schema
    name, password = app_role
    app_url = make_url(normalize_database_url(url)).set(username=name, password=password)
    settings = make_settings(
        database_url=url, app_database_url=app_url.render_as_string(hide_password=False)
    )
    migrations.upgrade(settings)
    engine = create_engine(app_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO revoked_tokens (jti, expires_at) VALUES ('j', now())")
            )
            assert connection.execute(text("SELECT count(*) FROM revoked_tokens")).scalar() == 1
        for ddl in (
            "DROP TABLE users",
            "CREATE TABLE extra (x int)",
            "ALTER TABLE users ADD x int",
            "UPDATE alembic_version SET version_num = 'x'",
        ):
            with engine.connect() as connection, pytest.raises(exc.ProgrammingError):
                connection.execute(text(ddl))
    finally:
        engine.dispose()
