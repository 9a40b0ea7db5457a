"""Sessions: listed to their user, ended one at a time or all at once, on every instance,
under both token algorithms."""

from collections.abc import Callable
from functools import partial
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.auth import session_routes, sessions
from users_service.auth.passwords import current_hasher
from users_service.auth.routes import signer
from users_service.models import User
from users_service.models.database import db
from users_service.users import accounts

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import bearer, count_rows
from services.users.tests.support.races import at_once
from services.users.tests.support.sessions import (
    assert_pair_dead,
    login_pair,
    refresh,
    status_code,
)
from services.users.tests.support.tokens import EACH_ALGORITHM, claims_for, keys_of, signed

NO_SUCH_SESSION = "Session does not exist."


pytestmark = EACH_ALGORITHM


@pytest.fixture
def second_instance(app: Flask, make_app: Callable[..., Flask], settings: Any) -> FlaskClient:
    """Another application on the same database and keys, as a second task behind the LB."""
    return make_app(settings=settings).test_client()


def listed(client: FlaskClient, access_token: str) -> list[dict[str, Any]]:
    reply = client.get("/auth/sessions", headers=bearer(access_token))
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["status"] == "success"
    found: list[dict[str, Any]] = reply.get_json()["data"]["sessions"]
    return found


def session_id(pair: dict[str, Any]) -> str:
    family: str = jwt.decode(pair["auth_token"], options={"verify_signature": False})["fam"]
    return family


def test_sessions_are_listed_newest_first_with_where_they_came_from(
    client: FlaskClient, user: User, fake_clock: FakeClock
) -> None:
    real_now = fake_clock.current
    fake_clock.advance(seconds=-5)  # tokens cannot be issued in the future of the real clock
    laptop = login_pair(client, user, **{"User-Agent": "laptop/1.0"})
    fake_clock.current = real_now
    phone = login_pair(client, user, **{"User-Agent": "phone/2.0"})
    found = listed(client, laptop["auth_token"])
    assert [entry["id"] for entry in found] == [session_id(phone), session_id(laptop)]
    assert [entry["user_agent"] for entry in found] == ["phone/2.0", "laptop/1.0"]
    assert [entry["current"] for entry in found] == [False, True]
    assert {entry["ip"] for entry in found} == {"127.0.0.1"}
    assert set(found[0]) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "user_agent",
        "ip",
        "current",
    }
    assert found[0]["created_at"] != found[1]["created_at"]


def test_a_refresh_keeps_the_session_and_moves_its_times(
    client: FlaskClient, user: User, fake_clock: FakeClock
) -> None:
    real_now = fake_clock.current
    fake_clock.advance(seconds=-600)  # the login, ten minutes ago (its token still valid)
    first = login_pair(client, user)
    before = listed(client, first["auth_token"])[0]
    fake_clock.current = real_now
    renewed = refresh(client, first["refresh_token"]).get_json()
    after = listed(client, renewed["auth_token"])
    assert len(after) == 1
    assert after[0]["id"] == before["id"] == session_id(renewed)
    assert after[0]["created_at"] == before["created_at"]
    assert after[0]["last_used_at"] != before["last_used_at"]
    assert after[0]["expires_at"] != before["expires_at"]


def test_ending_one_session_ends_its_tokens_on_every_instance(
    client: FlaskClient, second_instance: FlaskClient, user: User
) -> None:
    staying, leaving = login_pair(client, user), login_pair(client, user)
    assert status_code(second_instance, leaving["auth_token"]) == 200
    reply = client.delete(
        f"/auth/sessions/{session_id(leaving)}", headers=bearer(staying["auth_token"])
    )
    assert_reply(reply, 200, "success", "Session ended.")
    assert status_code(second_instance, leaving["auth_token"]) == 401
    assert_pair_dead(client, leaving)
    assert [entry["id"] for entry in listed(client, staying["auth_token"])] == [session_id(staying)]
    assert refresh(client, staying["refresh_token"]).status_code == 200


def test_another_users_session_is_a_404_and_keeps_working(
    client: FlaskClient, user: User, make_user: Callable[..., User]
) -> None:
    mine = login_pair(client, user)
    theirs = login_pair(client, make_user())
    for target in (session_id(theirs), "not-a-session", "f" * 32):
        reply = client.delete(f"/auth/sessions/{target}", headers=bearer(mine["auth_token"]))
        assert_reply(reply, 404, "error", NO_SUCH_SESSION)
    assert status_code(client, theirs["auth_token"]) == 200
    assert refresh(client, theirs["refresh_token"]).status_code == 200


def test_ending_every_session_includes_the_current_one(
    client: FlaskClient, second_instance: FlaskClient, user: User
) -> None:
    pairs = [login_pair(client, user) for _ in range(3)]
    reply = client.delete("/auth/sessions", headers=bearer(pairs[0]["auth_token"]))
    assert_reply(reply, 200, "success", "Every session ended.")
    for pair in pairs:
        assert status_code(second_instance, pair["auth_token"]) == 401
        assert_pair_dead(client, pair)
    fresh = login_pair(client, user)
    assert [entry["id"] for entry in listed(client, fresh["auth_token"])] == [session_id(fresh)]


def test_logout_and_a_replayed_refresh_token_end_the_session(
    client: FlaskClient, user: User
) -> None:
    watcher, logged_out, stolen = (login_pair(client, user) for _ in range(3))
    assert client.get("/auth/logout", headers=bearer(logged_out["auth_token"])).status_code == 200
    refresh(client, stolen["refresh_token"])
    refresh(client, stolen["refresh_token"])  # replayed: the session ends
    assert [entry["id"] for entry in listed(client, watcher["auth_token"])] == [session_id(watcher)]


def test_the_list_is_bounded_and_says_when_there_is_more(
    client: FlaskClient, user: User, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logins never end other sessions; the reply lists the newest and says there are more."""
    monkeypatch.setattr(session_routes, "SESSIONS_LISTED", 3)
    pairs = []
    fake_clock.advance(seconds=-4)
    for _ in range(4):
        pairs.append(login_pair(client, user))
        fake_clock.advance(seconds=1)
    reply = client.get("/auth/sessions", headers=bearer(pairs[3]["auth_token"])).get_json()
    assert [entry["id"] for entry in reply["data"]["sessions"]] == [
        session_id(pair) for pair in pairs[:0:-1]
    ]
    assert reply["data"]["more"] is True
    assert status_code(client, pairs[0]["auth_token"]) == 200  # the oldest still works
    client.delete(f"/auth/sessions/{session_id(pairs[0])}", headers=bearer(pairs[3]["auth_token"]))
    assert (
        client.get("/auth/sessions", headers=bearer(pairs[3]["auth_token"])).get_json()["data"][
            "more"
        ]
        is False
    )


def test_expired_sessions_are_not_listed(
    client: FlaskClient, user: User, settings: Any, fake_clock: FakeClock
) -> None:
    real_now = fake_clock.current
    fake_clock.advance(seconds=-(settings.refresh_token_ttl_seconds + 1))
    old = login_pair(client, user)
    fake_clock.current = real_now
    new = login_pair(client, user)
    assert session_id(old) not in [entry["id"] for entry in listed(client, new["auth_token"])]


def test_a_session_started_with_a_stale_generation_is_born_ended(
    app: Flask, client: FlaskClient, user: User
) -> None:
    """A login that checked the password before every session ended, and creates its session
    after: the session and its tokens are refused (the interleaving a race test hits by
    chance, here on purpose)."""
    with app.app_context():
        stale = db.session.get_one(User, user.id)  # read as the login reads it
        db.session.expunge(stale)
        # Meanwhile, another request changes the password, which ends every session.
        current = db.session.get_one(User, user.id)
        accounts.change_password(db.session, current_hasher(), current, "n" * 12, keep=None)
        pair = sessions.start(db.session, signer(), stale, sessions.Origin(None, None))
    assert status_code(client, pair.access) == 401
    assert refresh(client, pair.refresh).status_code == 401


def test_a_token_of_another_generation_is_refused(
    client: FlaskClient, user: User, app: Flask
) -> None:
    """Signed by the service's own key, so only the generation check can refuse them."""
    keys = keys_of(app)
    for generation in (1, -1, "0", 0.0, None):
        token = signed(keys, claims_for(user.id, gen=generation))
        assert status_code(client, token) == 401
    assert status_code(client, signed(keys, claims_for(user.id, gen=0))) == 200


def test_a_login_whose_account_was_deleted_meanwhile_starts_nothing(
    app: Flask, user: User, settings: Any
) -> None:
    """The password was checked, then the account deleted: the foreign key refuses the
    session, and the login is told the account is gone (the route answers 404)."""
    with app.app_context():
        checked = db.session.get_one(User, user.id)
        db.session.expunge(checked)
        db.session.delete(db.session.get_one(User, user.id))
        db.session.commit()
        with pytest.raises(sessions.AccountGoneError):
            sessions.start(db.session, signer(), checked, sessions.Origin(None, None))
    assert count_rows(settings, "sessions") == 0
    assert count_rows(settings, "refresh_tokens") == 0


def test_ending_a_session_while_it_refreshes_leaves_it_dead_without_a_deadlock(
    app: Flask, client: FlaskClient, user: User
) -> None:
    """Both lock the session's refresh tokens and then its row, in that order: at once, on
    PostgreSQL, neither waits for the other forever (a deadlock would be a 503), and the
    session ends whichever goes first."""
    for _ in range(10):
        mine, theirs = login_pair(client, user), login_pair(client, user)
        ended, refreshed = at_once(
            partial(
                app.test_client().delete,
                f"/auth/sessions/{session_id(theirs)}",
                headers=bearer(mine["auth_token"]),
            ),
            partial(refresh, app.test_client(), theirs["refresh_token"]),
        )
        assert ended.status_code == 200, ended.get_json()
        assert refreshed.status_code in {200, 401}, refreshed.get_json()
        assert_pair_dead(client, theirs)
        if refreshed.status_code == 200:
            assert_pair_dead(client, refreshed.get_json())
