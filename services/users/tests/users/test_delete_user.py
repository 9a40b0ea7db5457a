"""DELETE /users/<id> (admins): the account, its sessions and its files go; its username and
email are free again. The order of the checks; the last admin's refusal is in
test_last_admin.py, the guard's in auth/test_guards.py."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.config import Settings
from users_service.models import User

from services.users.tests.support.admin import (
    SignedIn,
    delete,
    refresh,
    sign_in,
    status,
    stored,
)
from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import (
    Member,
    bearer,
    count_rows,
    register_body,
    uploaded,
)
from services.users.tests.support.moto_server import Bucket

NOT_ADMIN = "You do not have permission to do that."


def test_delete_user_ok(app: Flask, client: FlaskClient, boss: SignedIn, target: User) -> None:
    """| 200 | success | <email> was deleted."""
    reply = delete(client, boss, target.id)
    assert_reply(reply, 200, "success", "target@example.com was deleted.")
    assert stored(app, target.id) is None
    assert_reply(client.get(f"/users/{target.id}"), 404, "fail", "User does not exist")


def test_the_deleted_users_tokens_are_refused(
    client: FlaskClient, boss: SignedIn, target: User
) -> None:
    own = sign_in(client, target)
    delete(client, boss, target.id)
    assert_reply(
        status(client, own.access), 401, "error", "Something went wrong. Please contact us."
    )
    assert_reply(refresh(client, own.refresh), 401, "error", "Invalid token. Please log in again.")


def test_the_username_and_email_can_register_again(
    client: FlaskClient, boss: SignedIn, target: User
) -> None:
    """A new account with the same names is a new user: the old tokens stay refused."""
    own = sign_in(client, target)
    delete(client, boss, target.id)
    body = register_body(username="Target", email="TARGET@example.com")
    reply = client.post("/auth/register", json=body)
    assert reply.status_code == 201, reply.get_json()
    assert status(client, reply.get_json()["auth_token"]).get_json()["data"]["id"] != target.id
    assert status(client, own.access).status_code == 401


def test_another_admin_can_be_deleted(
    app: Flask, client: FlaskClient, boss: SignedIn, make_user: Callable[..., User]
) -> None:
    other = make_user(admin=True)
    assert delete(client, boss, other.id).status_code == 200
    assert stored(app, other.id) is None


@pytest.mark.parametrize("which", ["target", "unknown", "malformed"])
def test_a_non_admin_is_refused_before_the_id(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], target: User, which: str
) -> None:
    """by a non-admin | 401 | error | You do not have permission to do that."""
    plain = sign_in(client, make_user())
    user_id = {"target": str(target.id), "unknown": "999999", "malformed": "abc"}[which]
    assert_reply(delete(client, plain, user_id), 401, "error", NOT_ADMIN)
    assert stored(app, target.id) is not None


@pytest.mark.parametrize("user_id", ["999999", "abc", "0", "-1", "1.5", "9" * 40])
def test_an_unknown_or_malformed_id_is_404(
    client: FlaskClient, boss: SignedIn, target: User, user_id: str
) -> None:
    """As GET /users/<id>: | 404 | fail | User does not exist"""
    assert_reply(delete(client, boss, user_id), 404, "fail", "User does not exist")
    assert client.get(f"/users/{target.id}").status_code == 200


class TestTheFilesGoToo:
    """Each test runs with the database storage and with S3 (`storage_overrides`)."""

    @pytest.fixture
    def settings(
        self, make_settings: Callable[..., Settings], storage_overrides: dict[str, Any]
    ) -> Settings:
        return make_settings(**storage_overrides)

    def test_the_users_files_are_deleted_and_no_one_elses(
        self,
        client: FlaskClient,
        settings: Settings,
        boss: SignedIn,
        member: Member,
        make_user: Callable[..., User],
    ) -> None:
        other = make_user()
        other_member = Member(other.id, other.username, bearer(sign_in(client, other).access))
        gone = uploaded(client, member, b"a" * 300_000)  # more than one chunk in the database
        kept = uploaded(client, other_member, b"kept")
        assert delete(client, boss, member.id).status_code == 200
        assert count_rows(settings, "files") == 1
        downloads = client.get(f"/files/{gone['id']}", headers=other_member.headers)
        assert downloads.status_code == 404
        assert client.get(f"/files/{kept['id']}", headers=other_member.headers).data == b"kept"
        if settings.file_storage == "database":
            assert count_rows(settings, "file_chunks") == 1


class TestOnS3:
    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings], s3_bucket: Bucket) -> Settings:
        return make_settings(**s3_bucket.settings())

    def test_its_objects_leave_the_bucket(
        self, client: FlaskClient, boss: SignedIn, member: Member, s3_bucket: Bucket
    ) -> None:
        uploaded(client, member, b"in the bucket")
        assert len(s3_bucket.object_keys()) == 1
        assert delete(client, boss, member.id).status_code == 200
        assert s3_bucket.object_keys() == []
