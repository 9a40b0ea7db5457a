"""Admins at work: users signed in through the API with their token pair, and the admin
routes on a user (PATCH and DELETE /users/<id>)."""

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.helpers import PASSWORD, bearer


@dataclass
class SignedIn:
    """A user who logged in through the API: their id and the pair the login gave."""

    id: int
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> SignedIn:
    reply = log_in(client, user.email, password)
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    return SignedIn(user.id, body["auth_token"], body["refresh_token"])


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post("/auth/login", json={"email": email, "password": password})


def change(client: FlaskClient, by: SignedIn, user_id: int | str, body: Any) -> TestResponse:
    """PATCH /users/<user_id> as `by`."""
    return client.patch(f"/users/{user_id}", headers=by.headers, json=body)


def delete(client: FlaskClient, by: SignedIn, user_id: int | str) -> TestResponse:
    """DELETE /users/<user_id> as `by`."""
    return client.delete(f"/users/{user_id}", headers=by.headers)


def refresh(client: FlaskClient, token: str) -> TestResponse:
    return client.post("/auth/refresh", json={"refresh_token": token})


def status(client: FlaskClient, token: str) -> TestResponse:
    return client.get("/auth/status", headers=bearer(token))


def stored(app: Flask, user_id: int) -> User | None:
    """The user's row as the database has it now (None when deleted)."""
    with app.app_context():
        return db.session.get(User, user_id)
