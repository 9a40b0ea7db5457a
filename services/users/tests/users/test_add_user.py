"""POST /users (admins only): the contract's replies, the order of its checks, duplicates.

The field rules shared with POST /auth/register are tested in test_validation.py.
"""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.bodies import BAD_BODIES
from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import PASSWORD, bearer, register_body
from services.users.tests.support.races import THREADS, count_matching, race_has_one_winner

# Bodies the contract calls "bad": a form, an empty object, an array, and a missing field.


@pytest.mark.parametrize(
    "body",
    [{"json": register_body(9)}, {}, {"json": {}}, {"json": []}, {"data": "not json"}],
    ids=["valid body", "no body", "empty object", "array", "form"],
)
def test_add_user_by_non_admin(client: FlaskClient, user_token: str, body: dict[str, Any]) -> None:
    """POST /users by a non-admin | 401 | error | You do not have permission to do that.

    The admin check comes before the body: even an empty or invalid body gets this reply.
    """
    reply = client.post("/users", headers=bearer(user_token), **body)
    assert_reply(reply, 401, "error", "You do not have permission to do that.")
    users = client.get("/users").get_json()["data"]["users"]
    assert [u["email"] for u in users] == ["plain@example.com"]


@pytest.mark.parametrize(
    "body",
    [
        *BAD_BODIES.values(),
        {},
        {"json": register_body(9, email="nope")},
        {"json": register_body(9, username="")},
        {"json": register_body(9, password="short")},
    ],
    ids=[*BAD_BODIES.keys(), "no body", "bad email", "empty username", "short password"],
)
def test_add_user_bad_body(client: FlaskClient, admin_token: str, body: dict[str, Any]) -> None:
    """POST /users: bad body | 400 | fail | Invalid payload."""
    reply = client.post("/users", headers=bearer(admin_token), **body)
    assert_reply(reply, 400, "fail", "Invalid payload.")


@pytest.mark.parametrize(
    "email", ["taken@example.com", "TAKEN@example.com"], ids=["same", "other case"]
)
def test_add_user_email_taken(
    client: FlaskClient, admin_token: str, make_user: Callable[..., User], email: str
) -> None:
    """POST /users: email taken | 400 | fail | Sorry. That email already exists."""
    make_user(username="taken", email="taken@example.com")
    reply = client.post("/users", headers=bearer(admin_token), json=register_body(9, email=email))
    assert_reply(reply, 400, "fail", "Sorry. That email already exists.")


def test_add_user_ok(client: FlaskClient, admin_token: str) -> None:
    """POST /users ok | 201 | success | <email> was added!"""
    body = register_body(9, email="new.person@example.com")
    reply = client.post("/users", headers=bearer(admin_token), json=body)
    assert_reply(reply, 201, "success", "new.person@example.com was added!")
    login = client.post("/auth/login", json={"email": body["email"], "password": PASSWORD})
    assert login.status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"json": {}}, {"json": []}, {"json": register_body(9)}],
    ids=["no body", "empty object", "array", "valid body"],
)
def test_add_user_checks_authentication_first(client: FlaskClient, body: dict[str, Any]) -> None:
    """Order on POST /users: no header is 403 and a bad token 401, whatever the body."""
    assert client.post("/users", **body).status_code == 403
    reply = client.post("/users", headers=bearer("garbage"), **body)
    assert_reply(reply, 401, "error", "Invalid token. Please log in again.")


def test_add_user_checks_admin_before_body(client: FlaskClient, user_token: str) -> None:
    """Order on POST /users: a non-admin's empty body is 401, not 400 (admin check first)."""
    reply = client.post("/users", headers=bearer(user_token), json={})
    assert reply.status_code == 401
    assert reply.get_json()["message"] == "You do not have permission to do that."


@pytest.mark.reference_defect("kept emails unique only case-sensitively")
def test_emails_are_unique_case_insensitively_on_add_user(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """Defect: emails were unique only case-sensitively (POST /users too)."""
    admin = make_user(admin=True, email="Admin@Example.com")
    body = register_body(9, email="admin@example.COM")
    reply = client.post("/users", json=body, headers=bearer(login(admin.email)))
    assert reply.status_code == 400
    assert reply.get_json()["message"] == "Sorry. That email already exists."


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("email", "Sorry. That email already exists."),
        ("username", "Sorry. That username already exists."),
    ],
)
def test_admin_adds_the_same_user_concurrently(
    app: Flask, make_user: Callable[..., User], login: Callable[..., str], field: str, message: str
) -> None:
    """30 simultaneous POST /users by an admin with one email (or username): one 201, rest 400."""
    admin = make_user(username="boss", email="boss@example.com", admin=True)
    token = login(admin.email)
    bodies = [
        {
            "username": "added" if field == "username" else f"added{n}",
            "email": "added@example.com" if field == "email" else f"added{n}@example.com",
            "password": PASSWORD,
        }
        for n in range(THREADS)
    ]
    race_has_one_winner(
        app,
        f"same {field}, POST /users",
        "/users",
        bodies,
        success="was added!",
        refusal=message,
        refusal_status="fail",
        token=token,
    )
    column = User.email if field == "email" else User.username
    assert count_matching(app, column, "added@example.com" if field == "email" else "added") == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


@pytest.fixture
def admin_headers(make_user: Callable[..., User], login: Callable[..., str]) -> dict[str, str]:
    """Authorization headers of a freshly created admin."""
    make_user(username="admin", email="admin@example.com", admin=True)
    return bearer(login("admin@example.com"))


def created(reply: TestResponse) -> bool:
    return reply.status_code == 201 and reply.get_json()["status"] == "success"


def test_admin_created_username_is_stripped(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    """POST /users strips the username too."""
    reply = client.post("/users", json=register_body(7, username="  bob  "), headers=admin_headers)
    assert created(reply)
    names = {user["username"] for user in client.get("/users").get_json()["data"]["users"]}
    assert "bob" in names
    assert "  bob  " not in names


def assert_duplicate_refused(reply: TestResponse, status: str, message: str) -> None:
    """A 400 whose whole body is the contract's `status` word and duplicate `message`."""
    assert reply.status_code == 400
    assert reply.get_json() == {"status": status, "message": message}


def test_admin_create_duplicate_email_is_refused(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    """POST /users with a taken email (any case) says the email exists."""
    client.post("/users", json=register_body(7), headers=admin_headers)
    reply = client.post(
        "/users", json=register_body(8, email="USER7@example.com"), headers=admin_headers
    )
    assert_duplicate_refused(reply, "fail", "Sorry. That email already exists.")


def test_admin_create_duplicate_username_is_refused(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    """POST /users with a taken username (any case) says the username exists."""
    client.post("/users", json=register_body(7), headers=admin_headers)
    reply = client.post("/users", json=register_body(8, username="USER7"), headers=admin_headers)
    assert_duplicate_refused(reply, "fail", "Sorry. That username already exists.")


def test_admin_create_ignores_extra_keys(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    """POST /users ignores unknown keys too."""
    reply = client.post("/users", json=register_body(7, colour="red"), headers=admin_headers)
    assert reply.status_code == 201
    assert reply.get_json() == {"status": "success", "message": "user7@example.com was added!"}
