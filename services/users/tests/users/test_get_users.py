"""GET /users and GET /users/<id>: the contract's shapes and literals, creation times.

Paging (cursor, limits) is tested in web/test_pagination.py.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.models import User

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.contract import assert_reply, parse_http_date
from services.users.tests.support.helpers import delete_user


@pytest.mark.parametrize(
    "user_id",
    ["abc", "1.5", "-1", "0", "1e3", " 1", "999999", "9" * 19, "9" * 40, "%C2%B2"],
)
def test_get_user_not_an_int_or_unknown(
    client: FlaskClient, make_user: Callable[..., User], user_id: str
) -> None:
    """GET /users/<id>: not an int, or unknown | 404 | fail | User does not exist (no period)"""
    make_user()
    reply = client.get(f"/users/{user_id}")
    assert_reply(reply, 404, "fail", "User does not exist")


def test_get_user_deleted_id(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """GET /users/<id>: unknown (an id that existed) | 404 | fail | User does not exist"""
    user = make_user()
    delete_user(app, user.id)
    assert_reply(client.get(f"/users/{user.id}"), 404, "fail", "User does not exist")


def test_users_list_shape_newest_first(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """GET /users -> data: {users: [{id, username, email, created_at}, ...]}, newest first"""
    created = []
    for n in range(3):
        created.append(make_user(username=f"person{n}", email=f"person{n}@example.com"))
        fake_clock.advance(minutes=1)
    reply = client.get("/users")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "success"
    users = body["data"]["users"]
    assert [u["username"] for u in users] == ["person2", "person1", "person0"]
    assert [u["id"] for u in users] == [u.id for u in reversed(created)]
    for item in users:
        assert {"id", "username", "email", "created_at"} <= item.keys()
        assert "password" not in item
        assert item["email"] == f"{item['username']}@example.com"
    stamps = [parse_http_date(u["created_at"]) for u in users]
    assert stamps == sorted(stamps, reverse=True)


def test_users_list_empty(client: FlaskClient) -> None:
    """GET /users with no users -> data.users is an empty list"""
    reply = client.get("/users")
    assert reply.status_code == 200
    assert reply.get_json()["data"]["users"] == []


def test_single_user_shape(client: FlaskClient, make_user: Callable[..., User]) -> None:
    """GET /users/<id> -> data: {username, email, created_at}"""
    user = make_user(username="single", email="single@example.com")
    reply = client.get(f"/users/{user.id}")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "success"
    data = body["data"]
    assert {"username", "email", "created_at"} <= data.keys()
    assert (data["username"], data["email"]) == ("single", "single@example.com")
    assert "password" not in data
    parse_http_date(data["created_at"])


def test_created_at_is_an_http_date(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """created_at is an HTTP-date string such as `Sat, 21 Nov 2026 06:53:34 GMT`"""
    fake_clock.current = datetime(2026, 11, 21, 6, 53, 34, 250_000, tzinfo=UTC)
    user = make_user()
    value = client.get(f"/users/{user.id}").get_json()["data"]["created_at"]
    assert value == "Sat, 21 Nov 2026 06:53:34 GMT"
    assert parse_http_date(value) == datetime(2026, 11, 21, 6, 53, 34, tzinfo=UTC)


@pytest.mark.reference_defect("stamped every user with the time its process imported the model")
def test_created_at_is_the_creation_time(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """Defect: `created_at` defaulted to the import time: every user of one process had the
    same timestamp and the order was arbitrary."""
    older_time = fake_clock.current.replace(microsecond=0)
    older = make_user(username="older")
    fake_clock.advance(hours=1)
    newer = make_user(username="newer")
    users = client.get("/users").get_json()["data"]["users"]
    assert [u["id"] for u in users] == [newer.id, older.id]
    newer_at, older_at = (parsedate_to_datetime(u["created_at"]) for u in users)
    assert abs((newer_at - older_at) - timedelta(hours=1)) <= timedelta(seconds=1)
    assert older_at == older_time
