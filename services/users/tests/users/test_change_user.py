"""PATCH /users/<id> (admins): identity and standing, deactivation's effect on sessions, the
order of the checks, duplicates and validation.

The guard's refusals (no, invalid or expired token) are in auth/test_guards.py; the last
admin's in test_last_admin.py.
"""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.models import User

from services.users.tests.support.admin import (
    SignedIn,
    change,
    log_in,
    refresh,
    sign_in,
    status,
    stored,
)
from services.users.tests.support.contract import assert_invalid_payload, assert_reply
from services.users.tests.support.helpers import PASSWORD, register_body

NOT_ADMIN = "You do not have permission to do that."
UNKNOWN_USER = "Something went wrong. Please contact us."
INVALID_TOKEN = "Invalid token. Please log in again."


def test_the_reply_is_the_user_as_its_owner_sees_it(
    client: FlaskClient, boss: SignedIn, target: User
) -> None:
    """200 with the changed user in the shape of /auth/status."""
    own = sign_in(client, target)
    reply = change(client, boss, target.id, {"username": "renamed"})
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "success"
    assert body["data"] == status(client, own.access).get_json()["data"]
    assert body["data"] | {"created_at": None} == {
        "id": target.id,
        "username": "renamed",
        "email": "target@example.com",
        "active": True,
        "admin": False,
        "created_at": None,
    }


def test_a_new_email_is_the_one_to_log_in_with(
    client: FlaskClient, boss: SignedIn, target: User
) -> None:
    """The email is validated and normalised as at registration; the old one stops working."""
    reply = change(client, boss, target.id, {"email": "Moved@Example.com"})
    assert reply.get_json()["data"]["email"] == "Moved@example.com"
    assert log_in(client, "moved@example.com").status_code == 200
    assert_reply(log_in(client, target.email), 404, "error", "User does not exist.")


def test_promotion_takes_effect_on_the_tokens_the_user_has(
    client: FlaskClient, boss: SignedIn, target: User
) -> None:
    own = sign_in(client, target)
    new_user = register_body(9)
    assert client.post("/users", headers=own.headers, json=new_user).status_code == 401
    reply = change(client, boss, target.id, {"admin": True})
    assert reply.get_json()["data"]["admin"] is True
    assert client.post("/users", headers=own.headers, json=new_user).status_code == 201


def test_demotion_takes_effect_at_once_and_keeps_the_session(
    client: FlaskClient, boss: SignedIn, make_user: Callable[..., User]
) -> None:
    other = sign_in(client, make_user(admin=True))
    reply = change(client, boss, other.id, {"admin": False})
    assert reply.get_json()["data"]["admin"] is False
    refused = client.post("/users", headers=other.headers, json=register_body(9))
    assert_reply(refused, 401, "error", NOT_ADMIN)
    assert status(client, other.access).status_code == 200


def test_deactivation_refuses_the_users_tokens_at_once(
    client: FlaskClient, boss: SignedIn, target: User
) -> None:
    """The access token gets the inactive user's 401, the refresh token is refused, and the
    password no longer logs in."""
    own = sign_in(client, target)
    reply = change(client, boss, target.id, {"active": False})
    assert reply.status_code == 200
    assert reply.get_json()["data"]["active"] is False
    assert_reply(status(client, own.access), 401, "error", UNKNOWN_USER)
    assert_reply(refresh(client, own.refresh), 401, "error", INVALID_TOKEN)
    assert_reply(log_in(client, target.email), 404, "error", "User does not exist.")


def test_reactivation_does_not_bring_the_old_sessions_back(
    client: FlaskClient, boss: SignedIn, target: User
) -> None:
    own = sign_in(client, target)
    change(client, boss, target.id, {"active": False})
    reply = change(client, boss, target.id, {"active": True})
    assert reply.get_json()["data"]["active"] is True
    assert_reply(status(client, own.access), 401, "error", INVALID_TOKEN)
    assert_reply(refresh(client, own.refresh), 401, "error", INVALID_TOKEN)
    again = sign_in(client, target)
    assert status(client, again.access).status_code == 200
    assert refresh(client, again.refresh).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "BOSS"}, "Sorry. That username already exists."),
        ({"email": "Boss@Example.com"}, "Sorry. That email already exists."),
    ],
    ids=["username", "email"],
)
def test_a_taken_username_or_email_is_refused_as_on_post_users(
    app: Flask, client: FlaskClient, boss: SignedIn, target: User, body: Any, message: str
) -> None:
    reply = change(client, boss, target.id, body)
    assert reply.status_code == 400
    assert reply.get_json() == {"status": "fail", "message": message}
    after = stored(app, target.id)
    assert after is not None
    assert (after.username, after.email) == ("target", "target@example.com")


def test_keeping_ones_own_username_is_no_duplicate(
    client: FlaskClient, boss: SignedIn, target: User
) -> None:
    reply = change(client, boss, target.id, {"username": "Target", "email": target.email})
    assert reply.status_code == 200
    assert reply.get_json()["data"]["username"] == "Target"


def test_a_refused_change_changes_nothing_else(
    app: Flask, client: FlaskClient, boss: SignedIn, target: User
) -> None:
    """A body that deactivates and takes a taken username: refused whole, the user still
    active and signed in."""
    own = sign_in(client, target)
    reply = change(client, boss, target.id, {"active": False, "username": "boss"})
    assert reply.get_json() == {"status": "fail", "message": "Sorry. That username already exists."}
    after = stored(app, target.id)
    assert after is not None
    assert (after.active, after.username) == (True, "target")
    assert status(client, own.access).status_code == 200


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({}, ""),
        ({"json": {}}, ""),
        ({"json": []}, ""),
        ({"data": {"active": "false"}}, ""),
        ({"json": {"active": None}}, "active"),
        ({"json": {"active": "no"}}, "active"),
        ({"json": {"admin": 1}}, "admin"),
        ({"json": {"active": True, "colour": "red"}}, "colour"),
        ({"json": {"Admin": True}}, "Admin"),
        ({"json": {"email": "nope"}}, "email"),
        ({"json": {"email": "someone@example.test"}}, "email"),
        ({"json": {"username": ""}}, "username"),
        ({"json": {"username": "   "}}, "username"),
        ({"json": {"username": "x" * 129}}, "username"),
        ({"json": {"password": PASSWORD}}, "password"),
    ],
    ids=[
        "no body",
        "empty object",
        "array",
        "form",
        "null",
        "string for a bool",
        "number for a bool",
        "unknown key beside a known one",
        "misspelt key",
        "not an email",
        "reserved domain",
        "empty username",
        "blank username",
        "long username",
        "password",
    ],
)
def test_a_bad_body_is_invalid_payload_and_changes_nothing(
    app: Flask,
    client: FlaskClient,
    boss: SignedIn,
    target: User,
    request_body: dict[str, Any],
    field: str,
) -> None:
    reply = client.patch(f"/users/{target.id}", headers=boss.headers, **request_body)
    assert_invalid_payload(reply, status="fail", field=field)
    after = stored(app, target.id)
    assert after is not None
    assert (after.username, after.email, after.active, after.admin) == (
        "target",
        "target@example.com",
        True,
        False,
    )


@pytest.mark.parametrize("body", [{"admin": True}, {}], ids=["valid body", "empty body"])
@pytest.mark.parametrize("which", ["target", "unknown", "malformed"])
def test_a_non_admin_is_refused_before_the_id_and_the_body(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., User],
    target: User,
    body: dict[str, Any],
    which: str,
) -> None:
    """by a non-admin | 401 | error | You do not have permission to do that."""
    plain = sign_in(client, make_user())
    user_id = {"target": str(target.id), "unknown": "999999", "malformed": "abc"}[which]
    assert_reply(change(client, plain, user_id, body), 401, "error", NOT_ADMIN)
    after = stored(app, target.id)
    assert after is not None
    assert after.admin is False


@pytest.mark.parametrize("body", [{"active": False}, {}], ids=["valid body", "empty body"])
@pytest.mark.parametrize("user_id", ["999999", "abc", "0", "-1", "1.5", "9" * 40])
def test_an_unknown_or_malformed_id_is_404_before_the_body(
    client: FlaskClient, boss: SignedIn, user_id: str, body: dict[str, Any]
) -> None:
    """As GET /users/<id>: | 404 | fail | User does not exist"""
    assert_reply(change(client, boss, user_id, body), 404, "fail", "User does not exist")
