"""The last active admin cannot be demoted, deactivated or deleted (by themself, the only
admin who can reach them), and two admins demoting each other at once leave one."""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update

from users_service.models import User
from users_service.models.database import db
from users_service.users.routes import LAST_ADMIN

from services.users.tests.support.admin import SignedIn, change, delete, sign_in, status, stored
from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import register_body

REFUSED = {"status": "fail", "message": LAST_ADMIN}
NOT_ADMIN = "You do not have permission to do that."
ROUNDS = 10


@pytest.mark.parametrize(
    "body",
    [{"admin": False}, {"active": False}, {"active": False, "admin": False}],
    ids=["demote", "deactivate", "both"],
)
def test_the_last_admin_cannot_demote_or_deactivate_themself(
    app: Flask, client: FlaskClient, boss: SignedIn, body: dict[str, Any]
) -> None:
    """| 409 | fail | LAST_ADMIN; still an active admin, still signed in."""
    reply = change(client, boss, boss.id, body)
    assert reply.status_code == 409
    assert reply.get_json() == REFUSED
    after = stored(app, boss.id)
    assert after is not None
    assert (after.active, after.admin) == (True, True)
    assert client.post("/users", headers=boss.headers, json=register_body(9)).status_code == 201


def test_the_last_admin_cannot_delete_themself(
    app: Flask, client: FlaskClient, boss: SignedIn
) -> None:
    reply = delete(client, boss, boss.id)
    assert reply.status_code == 409
    assert reply.get_json() == REFUSED
    assert stored(app, boss.id) is not None


def test_an_inactive_admin_does_not_count(
    client: FlaskClient, boss: SignedIn, make_user: Callable[..., User]
) -> None:
    make_user(admin=True, active=False)
    assert change(client, boss, boss.id, {"admin": False}).get_json() == REFUSED


def test_a_refused_demotion_keeps_the_rest_of_the_change_out(
    app: Flask, client: FlaskClient, boss: SignedIn
) -> None:
    assert change(client, boss, boss.id, {"username": "renamed", "admin": False}).status_code == 409
    after = stored(app, boss.id)
    assert after is not None
    assert after.username == "boss"


def test_with_another_admin_one_may_demote_themself(
    client: FlaskClient, boss: SignedIn, make_user: Callable[..., User]
) -> None:
    """Then the other is the last one."""
    other = sign_in(client, make_user(admin=True))
    assert change(client, boss, boss.id, {"admin": False}).status_code == 200
    refused = client.post("/users", headers=boss.headers, json=register_body(9))
    assert_reply(refused, 401, "error", NOT_ADMIN)
    assert change(client, other, other.id, {"admin": False}).get_json() == REFUSED


def test_with_another_admin_one_may_deactivate_or_delete_themself(
    app: Flask, client: FlaskClient, boss: SignedIn, make_user: Callable[..., User]
) -> None:
    second = sign_in(client, make_user(admin=True))
    make_user(admin=True)
    assert change(client, boss, boss.id, {"active": False}).status_code == 200
    assert status(client, boss.access).status_code == 401
    assert delete(client, second, second.id).status_code == 200
    assert stored(app, second.id) is None


def test_an_inactive_admin_may_be_demoted_and_deleted(
    app: Flask, client: FlaskClient, boss: SignedIn, make_user: Callable[..., User]
) -> None:
    """Only active admins are kept: the refusal is about who can still act."""
    idle = make_user(admin=True, active=False)
    assert change(client, boss, idle.id, {"admin": False}).status_code == 200
    assert delete(client, boss, idle.id).status_code == 200
    assert stored(app, idle.id) is None


@pytest.fixture
def slow_admin_locks(app: Flask) -> Iterator[None]:
    """Hold the lock on the active admins a little longer: each of two racing requests then
    reads the admins before the other commits, unless the lock makes it wait."""

    def linger(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FOR UPDATE" in statement:
            time.sleep(0.2)

    with app.app_context():
        engine = db.read_engine  # its events reach the writes' engine too
    event.listen(engine, "after_cursor_execute", linger)
    yield
    event.remove(engine, "after_cursor_execute", linger)


@pytest.mark.postgres_only  # SQLite has no row locks; its writers queue instead
def test_two_admins_demoting_each_other_at_once_leave_one(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], slow_admin_locks: None
) -> None:
    """Round after round, the only two admins demote each other at the same moment: exactly
    one request succeeds, and one active admin remains. The other is refused as the last
    admin (it passed the admin check before the first committed, then waited for the lock),
    or as no longer an admin."""
    losses: Counter[tuple[int, str]] = Counter()
    for _ in range(ROUNDS):
        with app.app_context():
            db.session.execute(update(User).values(admin=False))
            db.session.commit()
        first, second = (sign_in(client, make_user(admin=True)) for _ in range(2))
        replies = _at_once(app, [(first, second.id), (second, first.id)])
        assert sorted(code for code, _ in replies) in ([200, 409], [200, 401]), replies
        losses.update((code, body["message"]) for code, body in replies if code != 200)
        assert _active_admins(app) == 1
    print(f"\nthe losing requests: {dict(losses)}")
    assert set(losses) <= {(409, LAST_ADMIN), (401, NOT_ADMIN)}
    assert losses[(409, LAST_ADMIN)] > 0  # the lock was met, not only the admin check


def _at_once(app: Flask, demotions: list[tuple[SignedIn, int]]) -> list[tuple[int, Any]]:
    """Each admin demotes its target from a thread of its own (its own app context and
    sessions), released together."""
    barrier = threading.Barrier(len(demotions), timeout=30)

    def demote(demotion: tuple[SignedIn, int]) -> tuple[int, Any]:
        actor, target_id = demotion
        client = app.test_client()
        barrier.wait()
        reply = change(client, actor, target_id, {"admin": False})
        return reply.status_code, reply.get_json()

    with ThreadPoolExecutor(max_workers=len(demotions)) as pool:
        return list(pool.map(demote, demotions))


def _active_admins(app: Flask) -> int:
    with app.app_context():
        count: int = db.session.scalar(
            select(func.count()).select_from(User).where(User.admin, User.active)
        )
        return count
