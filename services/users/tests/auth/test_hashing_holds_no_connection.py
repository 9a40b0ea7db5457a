"""A password hash takes longer than most requests: no request holds a database connection
(nor an open transaction) while it hashes or checks one, or a burst of logins would empty the
pool for everyone else."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.auth.native_threads import NativeThreads
from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.helpers import PASSWORD, bearer, register_body
from services.users.tests.support.passwords import legacy_bcrypt, store_hash

NEW_PASSWORD = "another horse battery"


@pytest.fixture
def transactions_while_hashing(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each hash or check, whether either of the request's sessions was in a transaction."""
    seen: list[bool] = []
    run = NativeThreads.run

    def recording(threads: NativeThreads, func: Callable[..., Any], *args: Any) -> Any:
        seen.append(db.session.in_transaction() or db.reads.in_transaction())
        return run(threads, func, *args)

    monkeypatch.setattr(NativeThreads, "run", recording)
    return seen


def token_of(client: FlaskClient, email: str, password: str = PASSWORD) -> str:
    reply = client.post("/auth/login", json={"email": email, "password": password})
    assert reply.status_code == 200
    return str(reply.get_json()["auth_token"])


def test_registering_and_logging_in(
    client: FlaskClient, transactions_while_hashing: list[bool]
) -> None:
    assert client.post("/auth/register", json=register_body("nohold")).status_code == 201
    email = register_body("nohold")["email"]
    for password, status in ((PASSWORD, 200), ("wrong password!", 404)):
        reply = client.post("/auth/login", json={"email": email, "password": password})
        assert reply.status_code == status
    unknown = {"email": "nobody@example.com", "password": PASSWORD}
    assert client.post("/auth/login", json=unknown).status_code == 404
    assert len(transactions_while_hashing) >= 4
    assert not any(transactions_while_hashing)


def test_logging_in_with_an_imported_hash_that_is_replaced(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., User],
    transactions_while_hashing: list[bool],
) -> None:
    user = make_user()
    store_hash(app, user.email, legacy_bcrypt(PASSWORD))
    token_of(client, user.email)
    assert len(transactions_while_hashing) >= 2  # the bcrypt check, then the argon2 hash
    assert not any(transactions_while_hashing)


@pytest.mark.parametrize("change", ["password", "account", "deletion"])
def test_changes_confirmed_with_the_password(
    client: FlaskClient,
    make_user: Callable[..., User],
    transactions_while_hashing: list[bool],
    change: str,
) -> None:
    user = make_user()
    headers = bearer(token_of(client, user.email))
    transactions_while_hashing.clear()
    if change == "password":
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        reply = client.post("/auth/password", json=body, headers=headers)
    elif change == "account":
        body = {"current_password": PASSWORD, "username": "renamed"}
        reply = client.patch("/users/me", json=body, headers=headers)
    else:
        reply = client.delete("/users/me", json={"password": PASSWORD}, headers=headers)
    assert reply.status_code == 200
    assert transactions_while_hashing
    assert not any(transactions_while_hashing)
