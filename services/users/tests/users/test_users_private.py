"""USERS_PUBLIC: true (the default, the contract) lists users and their emails to anyone;
false keeps GET /users and GET /users/<id> for signed-in users, and shows an email only to
admins and to its owner."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.config import Settings
from users_service.models import User
from users_service.users.schemas import UserPublic

from services.users.tests.support.admin import sign_in
from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import bearer, deactivate_user

READS = ["/users", "/users/{id}"]
PUBLIC_KEYS = {"id", "username", "email", "created_at"}


def read(client: FlaskClient, path: str, user: User, **kwargs: Any) -> Any:
    return client.get(path.format(id=user.id), **kwargs)


def test_by_default_anyone_reads_users_with_their_emails(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """The contract's shapes, exactly: no token needed, every key of a user present."""
    user = make_user()
    listed = client.get("/users").get_json()["data"]["users"]
    single = client.get(f"/users/{user.id}").get_json()["data"]
    expected = UserPublic.model_validate(user).model_dump(mode="json")
    assert listed == [expected]
    assert single == expected
    assert set(single) == PUBLIC_KEYS


class TestPrivate:
    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings]) -> Settings:
        return make_settings(users_public=False)

    @pytest.mark.parametrize("path", READS)
    def test_anonymous_readers_are_refused(
        self, client: FlaskClient, make_user: Callable[..., User], path: str
    ) -> None:
        """no Authorization header | 403 | error | Provide a valid auth token."""
        reply = read(client, path, make_user())
        assert_reply(reply, 403, "error", "Provide a valid auth token.")

    @pytest.mark.parametrize("path", READS)
    def test_a_bad_token_is_refused(
        self, client: FlaskClient, make_user: Callable[..., User], path: str
    ) -> None:
        """invalid token | 401 | error | Invalid token. Please log in again."""
        reply = read(client, path, make_user(), headers=bearer("garbage"))
        assert_reply(reply, 401, "error", "Invalid token. Please log in again.")

    @pytest.mark.parametrize("path", READS)
    def test_an_inactive_users_token_is_refused(
        self, app: Flask, client: FlaskClient, make_user: Callable[..., User], path: str
    ) -> None:
        user = make_user()
        own = sign_in(client, user)
        deactivate_user(app, user.id)
        reply = read(client, path, user, headers=own.headers)
        assert_reply(reply, 401, "error", "Something went wrong. Please contact us.")

    def test_an_unknown_id_is_404_after_the_token(
        self, client: FlaskClient, make_user: Callable[..., User]
    ) -> None:
        assert client.get("/users/999999").status_code == 403
        own = sign_in(client, make_user())
        reply = client.get("/users/999999", headers=own.headers)
        assert_reply(reply, 404, "fail", "User does not exist")

    def test_a_user_sees_their_own_email_and_no_one_elses(
        self, client: FlaskClient, make_user: Callable[..., User]
    ) -> None:
        me, other = make_user(), make_user()
        own = sign_in(client, me)
        listed = client.get("/users", headers=own.headers).get_json()["data"]["users"]
        assert {user["id"]: set(user) for user in listed} == {
            me.id: PUBLIC_KEYS,
            other.id: PUBLIC_KEYS - {"email"},
        }
        mine = client.get(f"/users/{me.id}", headers=own.headers).get_json()["data"]
        assert mine["email"] == me.email
        theirs = client.get(f"/users/{other.id}", headers=own.headers).get_json()
        assert theirs["status"] == "success"
        assert set(theirs["data"]) == PUBLIC_KEYS - {"email"}
        assert theirs["data"]["username"] == other.username

    def test_an_admin_sees_every_email(
        self, client: FlaskClient, make_user: Callable[..., User]
    ) -> None:
        admin, other = make_user(admin=True), make_user()
        own = sign_in(client, admin)
        listed = client.get("/users", headers=own.headers).get_json()["data"]["users"]
        assert {user["id"]: user["email"] for user in listed} == {
            admin.id: admin.email,
            other.id: other.email,
        }
        single = client.get(f"/users/{other.id}", headers=own.headers).get_json()["data"]
        assert single["email"] == other.email
