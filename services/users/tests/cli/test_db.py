"""`users-service db`: upgrade (then the ADMIN_* admin), current."""

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from users_service.config import Settings

from services.users.tests.support.cli import count_users, invoke, user_by_email
from services.users.tests.support.helpers import PASSWORD, dispose_engine, migration_head


@pytest.fixture
def admin_settings_app(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """An app whose settings carry ADMIN_USERNAME / ADMIN_EMAIL / ADMIN_PASSWORD."""
    return make_app(admin_username="root", admin_email="root@example.com", admin_password=PASSWORD)


def test_db_upgrade_creates_the_configured_admin(admin_settings_app: Flask) -> None:
    """db upgrade migrates and then creates the ADMIN_* admin; a second run only promotes."""
    result = invoke(admin_settings_app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "created admin root <root@example.com>" in result.output
    user = user_by_email(admin_settings_app, "root@example.com")
    assert user is not None
    assert (user.username, user.admin, user.active) == ("root", True, True)

    again = invoke(admin_settings_app, "db", "upgrade")
    assert again.exit_code == 0, again.output
    assert "promoted" in again.output
    assert count_users(admin_settings_app) == 1


def test_db_upgrade_migrates_a_fresh_database_then_creates_the_admin(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """On an empty SQLite file, db upgrade creates the tables first, then the admin."""
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    fresh = make_app(
        database_url=url,
        admin_username="root",
        admin_email="root@example.com",
        admin_password=PASSWORD,
    )
    result = invoke(fresh, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "created admin root" in result.output
    user = user_by_email(fresh, "root@example.com")
    assert user is not None
    assert user.admin is True
    dispose_engine(fresh)  # done with the file before inspecting it through an engine of our own
    engine = create_engine(url)
    try:
        assert {"users", "revoked_tokens", "alembic_version"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_db_upgrade_without_admin_settings_creates_no_user(app: Flask) -> None:
    """Without ADMIN_* settings, db upgrade only migrates."""
    result = invoke(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "admin" not in result.output
    assert count_users(app) == 0


def test_db_current_prints_the_revision(app: Flask, settings: Settings) -> None:
    """db current writes the head revision to the command's output, without the DB password."""
    result = invoke(app, "db", "current")
    assert result.exit_code == 0, result.output
    assert f"Rev: {migration_head()} (head)" in result.output
    assert "(head)" in result.output
    password = make_url(settings.sqlalchemy_url).password
    if password:
        assert password not in result.output
