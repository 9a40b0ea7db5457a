"""POST /auth/password: the current password, the policy, a fresh pair for this session and
the end of every other one, under both token algorithms; and the races around it."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.models import User

from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import PASSWORD, bearer
from services.users.tests.support.races import at_once
from services.users.tests.support.sessions import (
    assert_pair_dead,
    login_pair,
    refresh,
    status_code,
)
from services.users.tests.support.tokens import EACH_ALGORITHM

NEW_PASSWORD = "a brand new passphrase"
WRONG = "The password is wrong."


pytestmark = EACH_ALGORITHM


def change(
    client: FlaskClient, token: str, current: str = PASSWORD, new: Any = NEW_PASSWORD
) -> Any:
    body = {"current_password": current, "new_password": new}
    return client.post("/auth/password", json=body, headers=bearer(token))


def logs_in(client: FlaskClient, user: User, password: str) -> bool:
    reply = client.post("/auth/login", json={"email": user.email, "password": password})
    return reply.status_code == 200


def test_the_new_password_works_and_every_other_session_ends(
    client: FlaskClient, user: User
) -> None:
    this, other = login_pair(client, user), login_pair(client, user)
    reply = change(client, this["auth_token"])
    body = assert_reply(reply, 200, "success", "Password changed.")
    assert {"auth_token", "refresh_token", "expires_in", "token_type"} <= set(body)
    assert_pair_dead(client, other)
    assert status_code(client, this["auth_token"]) == 401  # replaced by the reply's pair
    assert status_code(client, body["auth_token"]) == 200
    assert refresh(client, body["refresh_token"]).status_code == 200
    assert not logs_in(client, user, PASSWORD)
    assert logs_in(client, user, NEW_PASSWORD)


def test_the_session_continues_under_its_id(client: FlaskClient, user: User) -> None:
    this = login_pair(client, user)
    before = client.get("/auth/sessions", headers=bearer(this["auth_token"])).get_json()
    renewed = change(client, this["auth_token"]).get_json()
    after = client.get("/auth/sessions", headers=bearer(renewed["auth_token"])).get_json()
    assert [s["id"] for s in after["data"]["sessions"]] == [
        s["id"] for s in before["data"]["sessions"]
    ]
    assert after["data"]["sessions"][0]["current"] is True


def test_a_wrong_current_password_changes_nothing(client: FlaskClient, user: User) -> None:
    this, other = login_pair(client, user), login_pair(client, user)
    assert_reply(change(client, this["auth_token"], current="not my password"), 403, "error", WRONG)
    assert status_code(client, other["auth_token"]) == 200
    assert status_code(client, this["auth_token"]) == 200
    assert logs_in(client, user, PASSWORD)


@pytest.mark.parametrize("new", ["short", " " * 12, "x" * 1025, None, 12345678])
def test_the_password_policy_applies(client: FlaskClient, user: User, new: Any) -> None:
    this = login_pair(client, user)
    reply = change(client, this["auth_token"], new=new)
    body = assert_reply(reply, 400, "error", "Invalid payload.")
    assert [problem["field"] for problem in body["errors"]] == ["new_password"]
    assert logs_in(client, user, PASSWORD)


def test_attempts_are_rate_limited_per_user(
    make_app: Callable[..., Flask], app: Flask, make_user: Callable[..., User]
) -> None:
    limited = make_app(
        rate_limits_enabled=True, rate_limit_password_per_account="3/hour"
    ).test_client()
    user = make_user()
    token = login_pair(limited, user)["auth_token"]
    for _ in range(3):
        assert change(limited, token, current="guess").status_code == 403
    reply = change(limited, token)  # even the right password, once the budget is spent
    assert reply.status_code == 429
    assert "Retry-After" in reply.headers
    assert logs_in(limited, user, PASSWORD)


def test_racing_refreshes_of_another_session_leave_it_dead(
    app: Flask, client: FlaskClient, user: User
) -> None:
    """Refreshes of another session, all at once with the change: whichever order the
    database puts them in, no token they obtained works afterwards."""
    this, other = login_pair(client, user), login_pair(client, user)
    chain = [other["refresh_token"]]
    obtained: list[dict[str, Any]] = []

    def keep_refreshing() -> Any:
        refresher = app.test_client()
        for _ in range(20):
            reply = refresh(refresher, chain[-1])
            if reply.status_code != 200:
                return
            obtained.append(reply.get_json())
            chain.append(reply.get_json()["refresh_token"])
        return None

    changed = at_once(keep_refreshing, lambda: change(app.test_client(), this["auth_token"]))[1]
    assert changed.status_code == 200, changed.get_json()
    for pair in [other, *obtained]:
        assert_pair_dead(client, pair)
    assert status_code(client, changed.get_json()["auth_token"]) == 200


def test_racing_logins_with_the_old_password_leave_no_session_alive(
    app: Flask, client: FlaskClient, user: User
) -> None:
    """Logins with the old password, all at once with the change: a login that checked the
    password before the change committed gets a session that is already ended."""
    this = login_pair(client, user)

    def old_password_login() -> Any:
        reply = app.test_client().post(
            "/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        return reply.get_json() if reply.status_code == 200 else None

    *pairs, changed = at_once(
        *[old_password_login] * 8, lambda: change(app.test_client(), this["auth_token"])
    )
    assert changed.status_code == 200, changed.get_json()
    for pair in filter(None, pairs):
        assert_pair_dead(client, pair)
    sessions = client.get("/auth/sessions", headers=bearer(changed.get_json()["auth_token"]))
    assert len(sessions.get_json()["data"]["sessions"]) == 1
