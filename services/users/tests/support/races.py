"""Concurrent duplicates: many requests at once, and the check that exactly one won."""

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import event, func, select

from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.helpers import bearer

THREADS = 30
Reply = tuple[int, dict[str, Any]]
T = TypeVar("T")


def at_once(*calls: Callable[[], T]) -> list[T]:
    """Run every call at the same moment, each on a thread of its own (a barrier releases
    them together); their results, in order."""
    start = threading.Barrier(len(calls), timeout=30)

    def released(call: Callable[[], T]) -> T:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(released, calls))


def race(
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
        engine = db.read_engine
    event.listen(engine, "handle_error", on_error)
    try:
        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            replies = list(pool.map(attempt, bodies))
    finally:
        event.remove(engine, "handle_error", on_error)
    # How many losers got past the pre-check and were stopped by a unique index.
    print(f"\ndatabase errors during the race: {dict(Counter(collisions))}", end="")
    return replies


def count_matching(app: Flask, column: Any, value: str) -> int:
    """Users whose `column` equals `value`, ignoring case."""
    with app.app_context():
        total: int = db.session.scalar(
            select(func.count()).select_from(User).where(func.lower(column) == value.lower())
        )
        return total


def race_has_one_winner(
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
    replies = race(app, path, bodies, token=token)
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
