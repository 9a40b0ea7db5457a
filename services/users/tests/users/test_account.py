"""/users/me: the caller's own account, seen, changed with the password, and deleted with
everything it owns; and deletion racing logins."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.config import Settings
from users_service.models import User

from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import (
    PASSWORD,
    Member,
    bearer,
    count_rows,
    register_body,
    uploaded,
)
from services.users.tests.support.races import at_once
from services.users.tests.support.sessions import assert_pair_dead, login_pair, status_code

WRONG = "The password is wrong."
UNKNOWN_USER = "Something went wrong. Please contact us."


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user(username="alice", email="alice@example.com")


@pytest.fixture
def token(client: FlaskClient, user: User) -> str:
    access: str = login_pair(client, user)["auth_token"]
    return access


def patch_me(client: FlaskClient, token: str, **body: Any) -> Any:
    return client.patch(
        "/users/me", json={"current_password": PASSWORD, **body}, headers=bearer(token)
    )


def delete_me(client: FlaskClient, token: str, password: str = PASSWORD) -> Any:
    return client.delete("/users/me", json={"password": password}, headers=bearer(token))


def test_me_is_the_token_status(client: FlaskClient, token: str) -> None:
    mine = client.get("/users/me", headers=bearer(token))
    status = client.get("/auth/status", headers=bearer(token))
    assert mine.status_code == 200
    assert mine.get_json() == status.get_json()
    assert mine.get_json()["data"]["email"] == "alice@example.com"


def test_username_and_email_change_and_the_new_email_logs_in(
    client: FlaskClient, token: str, user: User
) -> None:
    reply = patch_me(client, token, username="alicia", email="alicia@example.com")
    data = reply.get_json()["data"]
    assert reply.status_code == 200, reply.get_json()
    assert (data["username"], data["email"], data["id"]) == (
        "alicia",
        "alicia@example.com",
        user.id,
    )
    login = client.post("/auth/login", json={"email": "alicia@example.com", "password": PASSWORD})
    assert login.status_code == 200
    old = client.post("/auth/login", json={"email": "alice@example.com", "password": PASSWORD})
    assert old.status_code == 404
    assert status_code(client, token) == 200  # a change of name ends no session


def test_one_field_alone_changes_only_that_field(client: FlaskClient, token: str) -> None:
    data = patch_me(client, token, email="new@example.com").get_json()["data"]
    assert (data["username"], data["email"]) == ("alice", "new@example.com")
    data = patch_me(client, token, username="renamed").get_json()["data"]
    assert (data["username"], data["email"]) == ("renamed", "new@example.com")


def test_the_case_of_ones_own_name_may_change(client: FlaskClient, token: str) -> None:
    reply = patch_me(client, token, username="Alice", email="ALICE@example.com")
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["data"]["username"] == "Alice"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "BOB"}, "Sorry. That username already exists."),
        ({"email": "Bob@Example.com"}, "Sorry. That email already exists."),
    ],
)
def test_anothers_username_or_email_is_refused(
    client: FlaskClient, token: str, make_user: Callable[..., User], change: Any, message: str
) -> None:
    make_user(username="bob", email="bob@example.com")
    assert_reply(patch_me(client, token, **change), 400, "fail", message)
    assert client.get("/users/me", headers=bearer(token)).get_json()["data"]["username"] == "alice"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": None},
        {"email": "not an email"},
        {"username": ""},
        {"username": 42},
    ],
    ids=["nothing to change", "null", "bad email", "blank name", "number"],
)
def test_invalid_changes_are_400(client: FlaskClient, token: str, body: dict[str, Any]) -> None:
    body = assert_reply(patch_me(client, token, **body), 400, "fail", "Invalid payload.")
    assert body["errors"]


def test_a_wrong_password_changes_nothing(client: FlaskClient, token: str) -> None:
    reply = client.patch(
        "/users/me",
        json={"current_password": "guess", "username": "mallory"},
        headers=bearer(token),
    )
    assert_reply(reply, 403, "fail", WRONG)
    assert client.get("/users/me", headers=bearer(token)).get_json()["data"]["username"] == "alice"


def test_deleting_the_account_ends_everything_and_frees_its_names(
    client: FlaskClient, user: User, settings: Settings
) -> None:
    pair = login_pair(client, user)
    member = Member(user.id, user.username, bearer(pair["auth_token"]))
    uploaded(client, member, b"my file")
    assert_reply(delete_me(client, pair["auth_token"]), 200, "success", "Account deleted.")
    assert_reply(client.get("/users/me", headers=member.headers), 401, "error", UNKNOWN_USER)
    assert_pair_dead(client, pair)
    assert count_rows(settings, "files") == 0
    assert count_rows(settings, "file_chunks") == 0
    assert count_rows(settings, "sessions") == 0
    assert count_rows(settings, "refresh_tokens") == 0
    again = client.post(
        "/auth/register", json=register_body(username="alice", email="alice@example.com")
    )
    assert again.status_code == 201
    assert again.get_json()["auth_token"]


def test_a_wrong_password_deletes_nothing(client: FlaskClient, token: str) -> None:
    assert_reply(delete_me(client, token, "guess"), 403, "fail", WRONG)
    assert client.get("/users/me", headers=bearer(token)).status_code == 200


def test_the_last_admin_cannot_delete_themself(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    admin = make_user(admin=True)
    token = login_pair(client, admin)["auth_token"]
    reply = delete_me(client, token)
    assert reply.status_code == 409
    assert reply.get_json()["status"] == "fail"
    assert client.get("/users/me", headers=bearer(token)).status_code == 200
    make_user(admin=True)  # a second admin: now the first may go
    assert delete_me(client, token).status_code == 200


def test_deletion_racing_logins_leaves_no_session(
    app: Flask, client: FlaskClient, user: User, settings: Settings
) -> None:
    """Logins all at once with the deletion: whichever order the database puts them in,
    the account and every session are gone, and no login's tokens work."""
    token = login_pair(client, user)["auth_token"]

    def log_in() -> Any:
        reply = app.test_client().post(
            "/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert reply.status_code in {200, 404}, reply.get_json()
        return reply.get_json() if reply.status_code == 200 else None

    *pairs, deleted = at_once(*[log_in] * 8, lambda: delete_me(app.test_client(), token))
    assert deleted.status_code == 200, deleted.get_json()
    for pair in filter(None, pairs):
        assert_pair_dead(client, pair)
    assert count_rows(settings, "sessions") == 0
    assert count_rows(settings, "users") == 0
