"""The security events of the caller's own changes: a session ended, every session ended, the
password changed, the account updated or deleted; each names the account and the request,
never the password, the tokens or the email."""

import json
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from users_service.models import User

from services.users.tests.support.helpers import PASSWORD, bearer
from services.users.tests.support.security_events import (
    assert_none_in,
    security_events,
    without_time,
)
from services.users.tests.support.sessions import login_pair

NEW_PASSWORD = "a brand new passphrase"


def _end_other_session(client: FlaskClient, user: User, headers: dict[str, str]) -> Any:
    other = login_pair(client, user)["auth_token"]
    family = jwt.decode(other, options={"verify_signature": False})["fam"]
    return client.delete(f"/auth/sessions/{family}", headers=headers)


CHANGES = {
    "session.ended": _end_other_session,
    "sessions.ended": lambda client, _user, headers: client.delete(
        "/auth/sessions", headers=headers
    ),
    "password.changed": lambda client, _user, headers: client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    ),
    "account.updated": lambda client, _user, headers: client.patch(
        "/users/me", json={"current_password": PASSWORD, "username": "renamed"}, headers=headers
    ),
    "account.deleted": lambda client, _user, headers: client.delete(
        "/users/me", json={"password": PASSWORD}, headers=headers
    ),
}


@pytest.mark.parametrize("name", CHANGES)
def test_each_change_logs_its_event(
    client: FlaskClient, user: User, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    pair = login_pair(client, user)
    headers = {**bearer(pair["auth_token"]), "X-Request-Id": f"change-{name}"}
    capsys.readouterr()
    reply = CHANGES[name](client, user, headers)
    assert reply.status_code == 200, reply.get_json()
    output = capsys.readouterr().out
    mine = [e for e in without_time(security_events(output)) if e["request_id"] == f"change-{name}"]
    assert mine == [
        {
            "event": name,
            "user_id": user.id,
            "client": "127.0.0.1",
            "request_id": f"change-{name}",
            "instance": "test-instance",
        }
    ]
    secrets = [PASSWORD, NEW_PASSWORD, user.email, pair["auth_token"], pair["refresh_token"]]
    secrets += [value for value in json.loads(reply.get_data()).values() if _is_token(value)]
    assert_none_in(output, *secrets)


def _is_token(value: object) -> bool:
    return isinstance(value, str) and len(value) > 40 and " " not in value


@pytest.mark.parametrize(
    ("method", "body", "name"),
    [("PATCH", {"active": False}, "account.updated"), ("DELETE", None, "account.deleted")],
)
def test_an_admins_change_names_the_admin_as_by(
    client: FlaskClient,
    user: User,
    make_user: Any,
    capsys: pytest.CaptureFixture[str],
    method: str,
    body: Any,
    name: str,
) -> None:
    admin = make_user(admin=True)
    headers = {**bearer(login_pair(client, admin)["auth_token"]), "X-Request-Id": "by-admin"}
    capsys.readouterr()
    reply = client.open(f"/users/{user.id}", method=method, json=body, headers=headers)
    assert reply.status_code == 200, reply.get_json()
    events = without_time(security_events(capsys.readouterr().out))
    assert [e for e in events if e["request_id"] == "by-admin"] == [
        {
            "event": name,
            "user_id": user.id,
            "client": "127.0.0.1",
            "request_id": "by-admin",
            "instance": "test-instance",
            "by": admin.id,
        }
    ]
