"""Register, login and refresh answer `expires_in` and `token_type` beside the contract's keys."""

from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from users_service.models import User

from services.users.tests.support.helpers import PASSWORD, register_body

CONTRACT_KEYS = {"status", "message", "auth_token", "refresh_token"}


def _register(app: Flask, user: User) -> TestResponse:
    return app.test_client().post("/auth/register", json=register_body("new"))


def _login(app: Flask, user: User) -> TestResponse:
    return app.test_client().post("/auth/login", json={"email": user.email, "password": PASSWORD})


def _refresh(app: Flask, user: User) -> TestResponse:
    refresh_token = _login(app, user).get_json()["refresh_token"]
    return app.test_client().post("/auth/refresh", json={"refresh_token": refresh_token})


@pytest.mark.parametrize(
    ("route", "code"), [(_register, 201), (_login, 200), (_refresh, 200)], ids=repr
)
def test_token_replies_say_how_long_and_how_to_send(
    make_app: Callable[..., Flask],
    app: Flask,
    user: User,
    route: Callable[[Flask, User], TestResponse],
    code: int,
) -> None:
    reply = route(make_app(access_token_ttl_seconds=120), user)
    assert reply.status_code == code
    body = reply.get_json()
    assert set(body) == CONTRACT_KEYS | {"expires_in", "token_type"}
    assert (body["expires_in"], body["token_type"]) == (120, "Bearer")
