"""Operator commands, run through Flask's CLI test runner."""

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.engine import make_url

from users_service.config import Settings
from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.helpers import PASSWORD, dispose_engine, migration_head


def _invoke(app: Flask, *args: str) -> Result:
    """Run a command the way the `flask` / `users-service` entry points do: in an app context.

    (FlaskGroup pushes one before calling any command; the test runner alone does not, see
    test_commands_run_from_the_bare_test_runner.)
    """
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
    print(f"\n$ {' '.join(args)}\nexit {result.exit_code}\n{result.output}")
    return result


def _user(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session.scalars(
            select(User).where(func.lower(User.email) == email.lower())
        ).one_or_none()


def _user_count(app: Flask) -> int | None:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _create_admin(app: Flask, username: str, email: str, password: str = PASSWORD) -> Result:
    return _invoke(
        app, "create-admin", "--username", username, "--email", email, "--password", password
    )


def test_commands_run_from_the_bare_test_runner(app: Flask) -> None:
    """app.test_cli_runner() without a pushed app context can run the service's commands."""
    result = app.test_cli_runner().invoke(args=["prune-expired"])
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0, result.output
    assert "removed 0 expired revocation(s)" in result.output


def test_commands_run_through_the_flask_group(app: Flask) -> None:
    """The users-service entry point (a FlaskGroup) runs create-admin in an app context."""
    group = FlaskGroup(create_app=lambda: app, load_dotenv=False)
    args = ["create-admin", "--username", "boss", "--email", "boss@example.com"]
    result = CliRunner().invoke(group, [*args, "--password", PASSWORD])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert "created admin boss <boss@example.com>" in result.output
    user = _user(app, "boss@example.com")
    assert user is not None
    assert user.admin is True


def test_create_admin_creates_an_admin(app: Flask) -> None:
    """create-admin with a new email creates an active admin and says so."""
    result = _create_admin(app, "boss", "boss@example.com")
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    assert "boss@example.com" in result.output
    assert PASSWORD not in result.output
    user = _user(app, "boss@example.com")
    assert user is not None
    assert (user.username, user.admin, user.active) == ("boss", True, True)


def test_created_admin_can_log_in_and_add_users(app: Flask) -> None:
    """The admin made by the CLI logs in with that password and passes the admin check."""
    assert _create_admin(app, "boss", "boss@example.com").exit_code == 0
    client = app.test_client()
    login = client.post("/auth/login", json={"email": "boss@example.com", "password": PASSWORD})
    assert login.status_code == 200
    token = login.get_json()["auth_token"]
    body = {"username": "hired", "email": "hired@example.com", "password": PASSWORD}
    reply = client.post("/users", json=body, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 201, reply.get_json()


def test_create_admin_twice_promotes_instead_of_duplicating(app: Flask) -> None:
    """Running create-admin again with the same email reports a promotion, not a new account."""
    assert _create_admin(app, "boss", "boss@example.com").exit_code == 0
    again = _create_admin(app, "boss", "BOSS@example.com")
    assert again.exit_code == 0, again.output
    assert "promoted" in again.output
    assert _user_count(app) == 1


def test_create_admin_promotes_and_reactivates_an_existing_user(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """An existing inactive non-admin with that email becomes an active admin."""
    existing = make_user(username="worker", email="worker@example.com", active=False)
    assert (existing.admin, existing.active) == (False, False)
    result = _create_admin(app, "anything", "Worker@Example.com")
    assert result.exit_code == 0, result.output
    assert "promoted" in result.output
    user = _user(app, "worker@example.com")
    assert user is not None
    assert (user.id, user.username, user.admin, user.active) == (existing.id, "worker", True, True)


@pytest.mark.parametrize("password", ["short", " " * 12])
def test_create_admin_refuses_a_bad_password(app: Flask, password: str) -> None:
    """A too-short (or blank) password fails with a non-zero exit code and a readable message."""
    result = _create_admin(app, "boss", "boss@example.com", password)
    assert result.exit_code != 0
    assert "password" in result.output.lower()
    assert "Traceback" not in result.output
    assert _user(app, "boss@example.com") is None


def test_create_admin_refuses_a_bad_email(app: Flask) -> None:
    """An invalid email is refused before touching the database."""
    result = _create_admin(app, "boss", "not-an-email")
    assert result.exit_code != 0
    assert "email" in result.output.lower()
    assert _user_count(app) == 0


def test_create_admin_with_a_taken_username_is_a_click_error(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """A new email whose username clashes (in another case) with an account: a ClickException."""
    make_user(username="Taken", email="owner@example.com")
    result = _create_admin(app, "taken", "new@example.com")
    assert result.exit_code == 1, result.output  # ClickException's exit code
    assert "Error: the username belongs to another account" in result.output
    assert "Traceback" not in result.output
    assert _user(app, "new@example.com") is None
    owner = _user(app, "owner@example.com")
    assert owner is not None
    assert owner.admin is False


@pytest.fixture
def admin_settings_app(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """An app whose settings carry ADMIN_USERNAME / ADMIN_EMAIL / ADMIN_PASSWORD."""
    return make_app(admin_username="root", admin_email="root@example.com", admin_password=PASSWORD)


def test_db_upgrade_creates_the_configured_admin(admin_settings_app: Flask) -> None:
    """db upgrade migrates and then creates the ADMIN_* admin; a second run only promotes."""
    result = _invoke(admin_settings_app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "created admin root <root@example.com>" in result.output
    user = _user(admin_settings_app, "root@example.com")
    assert user is not None
    assert (user.username, user.admin, user.active) == ("root", True, True)

    again = _invoke(admin_settings_app, "db", "upgrade")
    assert again.exit_code == 0, again.output
    assert "promoted" in again.output
    assert _user_count(admin_settings_app) == 1


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
    result = _invoke(fresh, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "created admin root" in result.output
    user = _user(fresh, "root@example.com")
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
    result = _invoke(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "admin" not in result.output
    assert _user_count(app) == 0


def test_db_current_prints_the_revision(app: Flask, settings: Settings) -> None:
    """db current writes the head revision to the command's output, without the DB password."""
    result = _invoke(app, "db", "current")
    assert result.exit_code == 0, result.output
    assert f"Rev: {migration_head()} (head)" in result.output
    assert "(head)" in result.output
    password = make_url(settings.sqlalchemy_url).password
    if password:
        assert password not in result.output
