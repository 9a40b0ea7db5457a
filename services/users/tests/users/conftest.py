"""Fixtures of the users tests: one poster of user-creation bodies per route; an admin and a
user for the admin routes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.models import User

from services.users.tests.support.admin import SignedIn, sign_in
from services.users.tests.support.helpers import bearer

# (endpoint, expected status word): register answers "error", the admin route "fail".
ENDPOINTS = [("/auth/register", "error"), ("/users", "fail")]


@dataclass
class UserPoster:
    """POSTs user-creation bodies to one endpoint; `status` is the word its refusals use."""

    client: FlaskClient
    path: str
    status: str
    headers: dict[str, str]

    def __call__(self, body: Any = None, **kwargs: Any) -> TestResponse:
        if body is not None:
            kwargs["json"] = body
        return self.client.post(self.path, headers=self.headers, **kwargs)


@pytest.fixture(params=ENDPOINTS, ids=["register", "admin_create"])
def post_user(
    request: pytest.FixtureRequest,
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[..., str],
) -> UserPoster:
    """POST a user-creation body to register or (as an admin) to /users."""
    path, status = request.param
    headers: dict[str, str] = {}
    if path == "/users":
        make_user(username="admin", email="admin@example.com", admin=True)
        headers = bearer(login("admin@example.com"))
    return UserPoster(client, path, status, headers)


@pytest.fixture
def boss(client: FlaskClient, make_user: Callable[..., User]) -> SignedIn:
    """An admin, signed in: the only one unless a test makes another."""
    return sign_in(client, make_user(username="boss", email="boss@example.com", admin=True))


@pytest.fixture
def target(make_user: Callable[..., User]) -> User:
    """A user who is not an admin, for the admin routes to act on."""
    return make_user(username="target", email="target@example.com")
