"""Concurrent duplicates: the database's unique indexes pick exactly one winner, cleanly."""

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.helpers import PASSWORD, bearer

THREADS = 30
Reply = tuple[int, dict[str, Any]]


def _race(
    app: Flask, path: str, bodies: list[dict[str, Any]], token: str | None = None
) -> list[Reply]:
    """POST every body at once, each from its own thread and test client of the one app."""
    barrier = threading.Barrier(len(bodies), timeout=30)
    headers = bearer(token) if token else {}

    def attempt(body: dict[str, Any]) -> Reply:
        client = app.test_client()
        barrier.wait()
        reply = client.post(path, json=body, headers=headers)
        return reply.status_code, reply.get_json()

    collisions: list[str] = []

    def on_error(context: Any) -> None:
        if isinstance(context.original_exception, Exception):
            collisions.append(type(context.original_exception).__name__)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "handle_error", on_error)
    try:
        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            replies = list(pool.map(attempt, bodies))
    finally:
        event.remove(engine, "handle_error", on_error)
    # How many losers got past the pre-check and were stopped by a unique index.
    print(f"\ndatabase errors during the race: {dict(Counter(collisions))}", end="")
    return replies


def _count(app: Flask, column: Any, value: str) -> int:
    with app.app_context():
        total: int = db.session.scalar(
            select(func.count()).select_from(User).where(func.lower(column) == value.lower())
        )
        return total


def _race_has_one_winner(
    app: Flask,
    name: str,
    path: str,
    bodies: list[dict[str, Any]],
    *,
    success: str,
    refusal: str,
    refusal_status: str,
    token: str | None = None,
) -> None:
    """Race `bodies` at `path`, print the tally as `name`, and check that exactly one request
    succeeded and every other one got the clean 400 `refusal`."""
    replies = _race(app, path, bodies, token=token)
    tally = Counter((code, body.get("message")) for code, body in replies)
    print(f"\n{name}: {dict(tally)}")
    codes = Counter(code for code, _ in replies)
    assert codes[500] == 0, replies
    assert codes[201] == 1, replies
    assert codes[400] == THREADS - 1, replies
    for code, body in replies:
        if code == 201:
            assert body["status"] == "success"
            assert body["message"] == success or success in body["message"]
        else:
            assert body == {"status": refusal_status, "message": refusal}, body


def _registrations_have_one_winner(app: Flask, name: str, bodies: list[dict[str, Any]]) -> None:
    """The race of `bodies` at POST /auth/register has one winner."""
    _race_has_one_winner(
        app,
        f"{name}, /auth/register",
        "/auth/register",
        bodies,
        success="Successfully registered.",
        refusal="Sorry. That user already exists.",
        refusal_status="error",
    )


def test_same_email_registered_concurrently(app: Flask) -> None:
    """30 simultaneous registrations of one email: one 201, 29 clean 400s, one row."""
    bodies = [
        {"username": f"racer{n}", "email": "Race@Example.com", "password": PASSWORD}
        for n in range(THREADS)
    ]
    _registrations_have_one_winner(app, "same email", bodies)
    assert _count(app, User.email, "race@example.com") == 1


def test_same_email_in_different_case_registered_concurrently(app: Flask) -> None:
    """Case variants of one email racing: still exactly one account."""
    bodies = [
        {
            "username": f"racer{n}",
            "email": f"{'RACE' if n % 2 else 'race'}{'@EXAMPLE.COM' if n % 3 else '@example.com'}",
            "password": PASSWORD,
        }
        for n in range(THREADS)
    ]
    _registrations_have_one_winner(app, "same email (mixed case)", bodies)
    assert _count(app, User.email, "race@example.com") == 1


def test_same_username_registered_concurrently(app: Flask) -> None:
    """30 simultaneous registrations of one username: one 201, 29 clean 400s, one row."""
    bodies = [
        {"username": "Racer", "email": f"racer{n}@example.com", "password": PASSWORD}
        for n in range(THREADS)
    ]
    _registrations_have_one_winner(app, "same username", bodies)
    assert _count(app, User.username, "racer") == 1


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("email", "Sorry. That email already exists."),
        ("username", "Sorry. That username already exists."),
    ],
)
def test_admin_adds_the_same_user_concurrently(
    app: Flask, make_user: Callable[..., User], login: Callable[..., str], field: str, message: str
) -> None:
    """30 simultaneous POST /users by an admin with one email (or username): one 201, rest 400."""
    admin = make_user(username="boss", email="boss@example.com", admin=True)
    token = login(admin.email)
    bodies = [
        {
            "username": "added" if field == "username" else f"added{n}",
            "email": "added@example.com" if field == "email" else f"added{n}@example.com",
            "password": PASSWORD,
        }
        for n in range(THREADS)
    ]
    _race_has_one_winner(
        app,
        f"same {field}, POST /users",
        "/users",
        bodies,
        success="was added!",
        refusal=message,
        refusal_status="fail",
        token=token,
    )
    column = User.email if field == "email" else User.username
    assert _count(app, column, "added@example.com" if field == "email" else "added") == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2
