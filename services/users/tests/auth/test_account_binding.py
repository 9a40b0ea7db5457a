"""A token is its account's, not its id's (issue 16, low item): on SQLite user ids were reused,
so a deleted user's unexpired token authenticated as the next registrant. Two guarantees now:
ids are never reused (AUTOINCREMENT on SQLite, sequences on PostgreSQL), and a token names its
account's creation time (`ucr`), which the guard compares, so even an id that comes back (a
restore, an import with explicit ids) inherits nothing.
"""

from collections.abc import Callable
from pathlib import Path

import jwt
from flask import Flask
from flask.testing import FlaskClient

from users_service import clock
from users_service.auth.signing_key import KEY_FILE_NAME, current_token_keys, resolve_signing_key
from users_service.auth.tokens import TokenKeys, account_stamp, issue_access_token
from users_service.config import Settings
from users_service.models import User
from users_service.models.database import db
from users_service.users.identities import keys_of

from services.users.tests.support.helpers import bearer, delete_user, register_body
from services.users.tests.support.tokens import signed

UNKNOWN_USER = {"status": "error", "message": "Something went wrong. Please contact us."}


def register(client: FlaskClient, n: int) -> str:
    reply = client.post("/auth/register", json=register_body(n))
    assert reply.status_code == 201
    token: str = reply.get_json()["auth_token"]
    return token


def status(client: FlaskClient, token: str) -> tuple[int, dict[str, object]]:
    reply = client.get("/auth/status", headers=bearer(token))
    return reply.status_code, reply.get_json()


def insert_user_with_id(app: Flask, user_id: int, n: int) -> None:
    """A row with a chosen id, as a restore or an import with explicit ids writes it."""
    with app.app_context():
        keys = keys_of(f"user{n}", f"user{n}@example.com")
        db.session.add(
            User(
                id=user_id,
                username=f"user{n}",
                email=f"user{n}@example.com",
                username_key=keys.username,
                email_key=keys.email,
                password_hash="x",
                created_at=clock.now(),
            )
        )
        db.session.commit()


def user_id_of(client: FlaskClient, token: str) -> int:
    code, body = status(client, token)
    assert code == 200
    data = body["data"]
    assert isinstance(data, dict)
    return int(data["id"])


def test_ids_of_deleted_users_are_never_reused(app: Flask, client: FlaskClient) -> None:
    """The newest user deleted, the next registrant gets a new id and the old token fails."""
    first = user_id_of(client, register(client, 1))
    gone_token = register(client, 2)
    gone = user_id_of(client, gone_token)
    delete_user(app, gone)
    newcomer = user_id_of(client, register(client, 3))
    assert first < gone < newcomer
    assert status(client, gone_token) == (401, UNKNOWN_USER)


def test_a_token_does_not_pass_to_a_later_account_with_its_id(
    app: Flask, client: FlaskClient
) -> None:
    token = register(client, 1)
    user_id = user_id_of(client, token)
    delete_user(app, user_id)
    insert_user_with_id(app, user_id, 2)
    assert status(client, token) == (401, UNKNOWN_USER)


def test_tokens_name_their_account(app: Flask, client: FlaskClient) -> None:
    token = register(client, 1)
    with app.app_context():
        claims = jwt.decode(token, options={"verify_signature": False})
        user = db.session.get(User, int(claims["sub"]))
        assert user is not None
        assert claims["ucr"] == account_stamp(user.created_at)


def test_tokens_issued_before_the_claim_still_work(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """Access tokens in flight at the upgrade (at most ACCESS_TOKEN_TTL_SECONDS old) have no
    `ucr`; they keep working until they expire."""
    user = make_user()
    with app.app_context():
        token = issue_access_token(user.id, current_token_keys(), 900)
    assert status(client, token)[0] == 200


def test_a_malformed_account_claim_is_an_invalid_token(
    client: FlaskClient, make_user: Callable[..., User], keys: TokenKeys
) -> None:
    user = make_user()
    for value in ("1", 1.5, True, [1]):
        token = issue_access_token(user.id, keys, 900)
        claims = jwt.decode(token, options={"verify_signature": False}) | {"ucr": value}
        forged = signed(keys, claims)
        assert status(client, forged) == (
            401,
            {"status": "error", "message": "Invalid token. Please log in again."},
        )


def test_the_generated_secret_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """In development the HS256 secret is generated into DATA_DIR (0600, never world-readable)."""
    settings = Settings(_env_file=None, app_env="development", data_dir=tmp_path)  # type: ignore[call-arg]
    resolve_signing_key(settings)
    assert (tmp_path / KEY_FILE_NAME).stat().st_mode & 0o777 == 0o600
