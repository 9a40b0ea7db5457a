"""`users-service create-admin`: an operator's accounts, from the command line."""

from collections.abc import Callable

import pytest
from click.testing import Result
from flask import Flask

from users_service.models import User

from services.users.tests.support.cli import count_users, invoke, user_by_email
from services.users.tests.support.helpers import PASSWORD


def _create_admin(app: Flask, username: str, email: str, password: str = PASSWORD) -> Result:
    return invoke(
        app, "create-admin", "--username", username, "--email", email, "--password", password
    )


def test_create_admin_creates_an_admin(app: Flask) -> None:
    """create-admin with a new email creates an active admin and says so."""
    result = _create_admin(app, "boss", "boss@example.com")
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    assert "boss@example.com" in result.output
    assert PASSWORD not in result.output
    user = user_by_email(app, "boss@example.com")
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
    assert count_users(app) == 1


def test_create_admin_promotes_and_reactivates_an_existing_user(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """An existing inactive non-admin with that email becomes an active admin."""
    existing = make_user(username="worker", email="worker@example.com", active=False)
    assert (existing.admin, existing.active) == (False, False)
    result = _create_admin(app, "anything", "Worker@Example.com")
    assert result.exit_code == 0, result.output
    assert "promoted" in result.output
    user = user_by_email(app, "worker@example.com")
    assert user is not None
    assert (user.id, user.username, user.admin, user.active) == (existing.id, "worker", True, True)


@pytest.mark.parametrize("password", ["short", " " * 12])
def test_create_admin_refuses_a_bad_password(app: Flask, password: str) -> None:
    """A too-short (or blank) password fails with a non-zero exit code and a readable message."""
    result = _create_admin(app, "boss", "boss@example.com", password)
    assert result.exit_code != 0
    assert "password" in result.output.lower()
    assert "Traceback" not in result.output
    assert user_by_email(app, "boss@example.com") is None


def test_create_admin_refuses_a_bad_email(app: Flask) -> None:
    """An invalid email is refused before touching the database."""
    result = _create_admin(app, "boss", "not-an-email")
    assert result.exit_code != 0
    assert "email" in result.output.lower()
    assert count_users(app) == 0


def test_create_admin_with_a_taken_username_is_a_click_error(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """A new email whose username clashes (in another case) with an account: a ClickException."""
    make_user(username="Taken", email="owner@example.com")
    result = _create_admin(app, "taken", "new@example.com")
    assert result.exit_code == 1, result.output  # ClickException's exit code
    assert "Error: the username belongs to another account" in result.output
    assert "Traceback" not in result.output
    assert user_by_email(app, "new@example.com") is None
    owner = user_by_email(app, "owner@example.com")
    assert owner is not None
    assert owner.admin is False
