"""POST /auth/register: the contract's replies, input the reference mishandled, and concurrent
duplicates (the database's unique indexes pick exactly one winner).

The field rules shared with POST /users are tested in users/test_validation.py.
"""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.models import User

from services.users.tests.support.bodies import WRONG_TYPED_VALUES
from services.users.tests.support.contract import (
    assert_invalid_payload,
    assert_reply,
    register,
    token_of,
)
from services.users.tests.support.helpers import PASSWORD, bearer, register_body
from services.users.tests.support.races import THREADS, count_matching, race_has_one_winner

SEED_USERS = [("michael", "michael@realpython.com"), ("michaelherman", "michael@mherman.org")]


def test_register_ok(client: FlaskClient) -> None:
    """POST /auth/register ok | 201 | success | Successfully registered. (+ auth_token)"""
    reply = register(client)
    assert_reply(reply, 201, "success", "Successfully registered.")
    token = token_of(reply)
    assert client.get("/auth/status", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "other@example.com"},  # same username
        {"username": "other"},  # same email
        {},  # both
    ],
    ids=["username taken", "email taken", "both taken"],
)
def test_register_user_or_email_taken(client: FlaskClient, overrides: dict[str, str]) -> None:
    """register: user or email taken | 400 | error | Sorry. That user already exists."""
    assert register(client).status_code == 201
    reply = register(client, **overrides)
    body = assert_reply(reply, 400, "error", "Sorry. That user already exists.")
    assert "auth_token" not in body


@pytest.mark.parametrize(("username", "email"), SEED_USERS, ids=[u for u, _ in SEED_USERS])
def test_seed_users_register_and_are_not_admins(
    client: FlaskClient, username: str, email: str
) -> None:
    """The reference's seed users can be registered; neither is an admin."""
    reply = client.post(
        "/auth/register", json={"username": username, "email": email, "password": PASSWORD}
    )
    assert_reply(reply, 201, "success", "Successfully registered.")
    token = token_of(reply)
    status = client.get("/auth/status", headers=bearer(token)).get_json()["data"]
    assert (status["username"], status["email"]) == (username, email)
    assert status.get("admin", False) is False
    denied = client.post("/users", headers=bearer(token), json=register_body(9))
    assert_reply(denied, 401, "error", "You do not have permission to do that.")


@pytest.mark.reference_defect("answered a field of the wrong type with a 500 HTML page")
@pytest.mark.parametrize("value", WRONG_TYPED_VALUES.values(), ids=WRONG_TYPED_VALUES.keys())
@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_field_of_wrong_type(client: FlaskClient, field: str, value: object) -> None:
    """Defect: any field of the wrong type gave a 500 HTML page."""
    body = register_body()
    body[field] = value
    reply = client.post("/auth/register", json=body)
    assert_invalid_payload(reply, "error", field)


@pytest.mark.reference_defect("answered a username over 128 characters with a 500")
def test_username_over_128_characters_is_refused(client: FlaskClient) -> None:
    """Defect: a username over 128 characters gave a 500."""
    reply = client.post("/auth/register", json=register_body(username="u" * 129))
    assert_invalid_payload(reply, "error", "username")


@pytest.mark.reference_defect("answered a username over 128 characters with a 500")
def test_username_of_128_characters_is_accepted(client: FlaskClient) -> None:
    """Defect: a username over 128 characters gave a 500; exactly 128 is fine."""
    reply = client.post("/auth/register", json=register_body(username="u" * 128))
    assert reply.status_code == 201, reply.get_json()
    token = reply.get_json()["auth_token"]
    status = client.get("/auth/status", headers=bearer(token)).get_json()
    assert status["data"]["username"] == "u" * 128


@pytest.mark.reference_defect("kept emails unique only case-sensitively")
def test_emails_are_unique_case_insensitively(client: FlaskClient) -> None:
    """Defect: emails were unique only case-sensitively."""
    first = client.post("/auth/register", json=register_body(1, email="A@x.com"))
    assert first.status_code == 201
    second = client.post("/auth/register", json=register_body(2, email="a@X.COM"))
    assert second.status_code == 400
    assert second.get_json() == {"status": "error", "message": "Sorry. That user already exists."}
    assert len(client.get("/users").get_json()["data"]["users"]) == 1


@pytest.mark.reference_defect('accepted "" and "nope" as emails')
@pytest.mark.parametrize("email", ["", "nope", "nope@", "@example.com", "a b@example.com"])
def test_invalid_emails_are_refused(client: FlaskClient, email: str) -> None:
    """Defect: `""` and `"nope"` were accepted as emails."""
    reply = client.post("/auth/register", json=register_body(email=email))
    assert_invalid_payload(reply, "error", "email")
    assert client.get("/users").get_json()["data"]["users"] == []


def _registrations_have_one_winner(app: Flask, name: str, bodies: list[dict[str, Any]]) -> None:
    """The race of `bodies` at POST /auth/register has one winner."""
    race_has_one_winner(
        app,
        f"{name}, /auth/register",
        "/auth/register",
        bodies,
        success="Successfully registered.",
        refusal="Sorry. That user already exists.",
        refusal_status="error",
    )


def test_same_email_registered_concurrently(app: Flask) -> None:
    """30 simultaneous registrations of one email: one 201, 29 clean 400s, one row."""
    bodies = [
        {"username": f"racer{n}", "email": "Race@Example.com", "password": PASSWORD}
        for n in range(THREADS)
    ]
    _registrations_have_one_winner(app, "same email", bodies)
    assert count_matching(app, User.email, "race@example.com") == 1


def test_same_email_in_different_case_registered_concurrently(app: Flask) -> None:
    """Case variants of one email racing: still exactly one account."""
    bodies = [
        {
            "username": f"racer{n}",
            "email": f"{'RACE' if n % 2 else 'race'}{'@EXAMPLE.COM' if n % 3 else '@example.com'}",
            "password": PASSWORD,
        }
        for n in range(THREADS)
    ]
    _registrations_have_one_winner(app, "same email (mixed case)", bodies)
    assert count_matching(app, User.email, "race@example.com") == 1


def test_same_username_registered_concurrently(app: Flask) -> None:
    """30 simultaneous registrations of one username: one 201, 29 clean 400s, one row."""
    bodies = [
        {"username": "Racer", "email": f"racer{n}@example.com", "password": PASSWORD}
        for n in range(THREADS)
    ]
    _registrations_have_one_winner(app, "same username", bodies)
    assert count_matching(app, User.username, "racer") == 1


def created(reply: TestResponse) -> bool:
    return reply.status_code == 201 and reply.get_json()["status"] == "success"


def test_username_is_stripped_on_storage(client: FlaskClient) -> None:
    """Surrounding white space is removed before the username is stored."""
    reply = client.post("/auth/register", json=register_body(7, username="  alice \t"))
    assert created(reply)
    status = client.get("/auth/status", headers=bearer(reply.get_json()["auth_token"]))
    assert status.get_json()["data"]["username"] == "alice"


def assert_duplicate_refused(reply: TestResponse, status: str, message: str) -> None:
    """A 400 whose whole body is the contract's `status` word and duplicate `message`."""
    assert reply.status_code == 400
    assert reply.get_json() == {"status": status, "message": message}


def test_register_mixed_case_duplicate_email_is_refused(client: FlaskClient) -> None:
    """Emails are unique regardless of case."""
    assert created(client.post("/auth/register", json=register_body(7, email="Jane@Example.com")))
    reply = client.post("/auth/register", json=register_body(8, email="jANE@example.COM"))
    assert_duplicate_refused(reply, "error", "Sorry. That user already exists.")


def test_register_duplicate_username_is_refused_case_insensitively(client: FlaskClient) -> None:
    """Usernames are unique regardless of case."""
    assert created(client.post("/auth/register", json=register_body(7, username="Alice")))
    reply = client.post("/auth/register", json=register_body(8, username="aLICE"))
    assert_duplicate_refused(reply, "error", "Sorry. That user already exists.")


def test_extra_keys_are_ignored(client: FlaskClient) -> None:
    """Unknown keys (even `admin`) neither fail the request nor take effect."""
    body = register_body(7, admin=True, active=False, id=999, favourite="blue")
    reply = client.post("/auth/register", json=body)
    assert created(reply)
    status = client.get("/auth/status", headers=bearer(reply.get_json()["auth_token"]))
    data = status.get_json()["data"]
    assert data["admin"] is False
    assert data["active"] is True
    assert data["id"] != 999


def test_refused_body_creates_no_user(client: FlaskClient) -> None:
    """A refused registration leaves no row behind."""
    client.post("/auth/register", json=register_body(7, password="short"))
    assert client.get("/users").get_json()["data"]["users"] == []
