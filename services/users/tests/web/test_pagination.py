"""GET /users: newest first, keyset cursor, capped page size, strict query parameters."""

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import bindparam, event, text

from users_service.config import Settings
from users_service.models import User
from users_service.models.base import UTCDateTime
from users_service.models.database import db

from services.users.tests.support.clock import FakeClock

INDEX = "ix_users_created_at_id"
PAGE_COLUMNS = "users.id, users.username, users.email, users.password, users.active, "
PAGE_COLUMNS += "users.admin, users.created_at"
FIRST_PAGE_SQL = (
    f"SELECT {PAGE_COLUMNS} FROM users ORDER BY users.created_at DESC, users.id DESC LIMIT 21"  # noqa: S608
)
NEXT_PAGE_SQL = (
    f"SELECT {PAGE_COLUMNS} FROM users "  # noqa: S608
    "WHERE (users.created_at, users.id) < (:created_at, :id) "
    "ORDER BY users.created_at DESC, users.id DESC LIMIT 21"
)


def _insert_users(app: Flask, count: int, start: datetime, prefix: str = "bulk") -> list[int]:
    """Insert `count` users directly (no hashing), one second apart, oldest first; their ids."""
    with app.app_context():
        users = [
            User(
                username=f"{prefix}{n}",
                email=f"{prefix}{n}@example.com",
                password_hash="not-a-real-hash",
                created_at=start + timedelta(seconds=n),
            )
            for n in range(count)
        ]
        db.session.add_all(users)
        db.session.commit()
        return [user.id for user in users]


def _page(client: FlaskClient, query: str = "") -> dict[str, Any]:
    reply = client.get(f"/users{query}")
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    assert body["status"] == "success"
    return body["data"]


def _walk(client: FlaskClient, limit: int, first: dict[str, Any] | None = None) -> list[int]:
    """Every id served by following `next_cursor` from the first page (or from `first`)."""
    data = first or _page(client, f"?limit={limit}")
    ids = [item["id"] for item in data["users"]]
    pages = 1
    while data["next_cursor"] is not None:
        data = _page(client, f"?limit={limit}&cursor={data['next_cursor']}")
        ids += [item["id"] for item in data["users"]]
        pages += 1
        assert pages < 1000, "pagination does not terminate"
    return ids


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_default_page_size_is_the_configured_one(
    client: FlaskClient, app: Flask, settings: Settings
) -> None:
    """Without ?limit= a page holds users_page_size (20) users and points to the next one."""
    _insert_users(app, settings.users_page_size + 5, datetime.now(UTC))
    data = _page(client)
    assert settings.users_page_size == 20
    assert data["limit"] == 20
    assert len(data["users"]) == 20
    assert isinstance(data["next_cursor"], str)
    assert set(data["users"][0]) == {"id", "username", "email", "created_at"}


def test_limit_is_capped_at_the_maximum(
    client: FlaskClient, app: Flask, settings: Settings
) -> None:
    """?limit=1000 serves at most users_max_page_size (100) users and says so in data.limit."""
    _insert_users(app, settings.users_max_page_size + 5, datetime.now(UTC))
    data = _page(client, "?limit=1000")
    assert settings.users_max_page_size == 100
    assert data["limit"] == 100
    assert len(data["users"]) == 100
    assert data["next_cursor"] is not None


def test_next_cursor_is_null_on_the_last_page(client: FlaskClient, app: Flask) -> None:
    """A page that reaches the end of the table has next_cursor null, even when exactly full."""
    _insert_users(app, 6, datetime.now(UTC))
    exact = _page(client, "?limit=6")
    assert len(exact["users"]) == 6
    assert exact["next_cursor"] is None
    first = _page(client, "?limit=4")
    assert first["next_cursor"] is not None
    last = _page(client, f"?limit=4&cursor={first['next_cursor']}")
    assert [len(first["users"]), len(last["users"])] == [4, 2]
    assert last["next_cursor"] is None


def test_empty_table_is_one_empty_page(client: FlaskClient) -> None:
    """No users: an empty list and no next page."""
    data = _page(client)
    assert data["users"] == []
    assert data["next_cursor"] is None


@pytest.mark.parametrize("limit", [1, 3, 4, 7, 100])
def test_walking_all_pages_serves_each_user_once_newest_first(
    client: FlaskClient,
    make_user: Callable[..., User],
    fake_clock: FakeClock,
    limit: int,
) -> None:
    """Following next_cursor yields every user exactly once, ordered by (created_at, id) desc."""
    users: list[User] = []
    for _ in range(8):
        users.append(make_user())
        fake_clock.advance(seconds=1)
    for _ in range(5):  # a tie group: same created_at, so only the id orders them
        users.append(make_user())
    fake_clock.advance(seconds=1)
    users.append(make_user())
    fake_clock.current -= timedelta(hours=1)  # created later, but older: id order != time order
    for _ in range(3):
        users.append(make_user())

    expected = [u.id for u in sorted(users, key=lambda u: (u.created_at, u.id), reverse=True)]
    served = _walk(client, limit)

    assert served == expected
    assert len(served) == len(set(served)) == 17
    ties = [u.id for u in users[8:13]]
    assert len({u.created_at for u in users[8:13]}) == 1
    assert [i for i in served if i in ties] == sorted(ties, reverse=True)


def test_created_at_is_never_increasing_along_the_walk(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """The served created_at (HTTP dates) never go up from one item to the next."""
    for _ in range(7):
        make_user()
        fake_clock.advance(seconds=1)
    items: list[dict[str, Any]] = []
    data = _page(client, "?limit=2")
    items += data["users"]
    while data["next_cursor"]:
        data = _page(client, f"?limit=2&cursor={data['next_cursor']}")
        items += data["users"]
    stamps = [datetime.strptime(i["created_at"], "%a, %d %b %Y %H:%M:%S GMT") for i in items]
    assert len(stamps) == 7
    assert stamps == sorted(stamps, reverse=True)


def test_pages_are_stable_under_concurrent_inserts(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """Users registered while a client pages are not served, and nothing repeats or goes missing."""
    original = set()
    for _ in range(25):
        original.add(make_user().id)
        fake_clock.advance(seconds=1)
    first = _page(client, "?limit=10")

    inserted = set()
    for n in range(10):
        inserted.add(make_user(username=f"late{n}", email=f"late{n}@example.com").id)
        fake_clock.advance(seconds=1)

    served = _walk(client, 10, first=first)
    assert len(served) == len(set(served)), "a user was served twice"
    assert set(served) == original
    assert not set(served) & inserted
    assert len(_walk(client, 10)) == 35  # a fresh walk sees everyone


def test_inserts_with_the_same_timestamp_as_the_cursor_do_not_shift_pages(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """A user inserted at the cursor's created_at (higher id) is not served on later pages."""
    tied = {make_user().id for _ in range(6)}
    first = _page(client, "?limit=3")
    late = make_user(username="tied-late", email="tied-late@example.com").id
    served = _walk(client, 3, first=first)
    assert set(served) == tied
    assert late not in served
    assert len(served) == 6


BAD_LIMITS = ["0", "-1", "abc", "1.5", str(10**30), "", "+5", " 5", "1e3", "\uff15", "0x10"]


@pytest.mark.parametrize("limit", BAD_LIMITS)
def test_bad_limit_is_a_400(client: FlaskClient, limit: str) -> None:
    """A limit that is not a positive decimal integer is refused as a query parameter error."""
    reply = client.get("/users", query_string={"limit": limit})
    assert reply.status_code == 400, reply.get_json()
    body = reply.get_json()
    assert body["status"] == "fail"
    assert body["message"] == "Invalid query parameter."
    assert body["errors"][0]["field"] == "limit"


AWARE = "2026-01-01T00:00:00+00:00"
BAD_CURSORS = {
    "garbage": "garbage!!",
    "one char too many": "abcde",
    "not json": base64.urlsafe_b64encode(b"hello world").decode(),
    "invalid utf-8": base64.urlsafe_b64encode(b"\xff\xfe\xfa").decode(),
    "json object": _cursor({"created_at": AWARE, "id": 1}),
    "json null": _cursor(None),
    "three items": _cursor([AWARE, 1, 2]),
    "null timestamp": _cursor([None, 1]),
    "number timestamp": _cursor([1234567890, 1]),
    "not a timestamp": _cursor(["yesterday", 1]),
    "negative id": _cursor([AWARE, -1]),
    "zero id": _cursor([AWARE, 0]),
    "string id": _cursor([AWARE, "1"]),
    "float id": _cursor([AWARE, 1.0]),
    "boolean id": _cursor([AWARE, True]),
    "id beyond bigint": _cursor([AWARE, 2**63]),
    "naive timestamp": _cursor(["2026-01-01T00:00:00", 1]),
    # ~4 KB: still fits in gunicorn's request line, deeper than json's recursion limit.
    "deeply nested json": base64.urlsafe_b64encode(b"[" * 3000).decode(),
}


@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_bad_cursor_is_a_400_never_a_500(client: FlaskClient, app: Flask, cursor: str) -> None:
    """A cursor this service did not issue is refused as a query parameter error."""
    _insert_users(app, 3, datetime.now(UTC))
    reply = client.get("/users", query_string={"cursor": cursor})
    assert reply.status_code != 500, reply.get_json()
    assert reply.status_code == 400, reply.get_json()
    body = reply.get_json()
    assert body["status"] == "fail"
    assert body["message"] == "Invalid query parameter."
    assert body["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    ("stamp", "expected_count"),
    [("9999-12-31T23:59:59-14:00", 3), ("0001-01-01T00:00:00+14:00", 0)],
    ids=["past year 9999 in UTC", "before year 1 in UTC"],
)
def test_extreme_cursor_timestamps_never_crash(
    client: FlaskClient, app: Flask, stamp: str, expected_count: int
) -> None:
    """Timestamps at the edge of datetime's range are refused or served correctly, never a 500."""
    _insert_users(app, 3, datetime.now(UTC))
    reply = client.get("/users", query_string={"cursor": _cursor([stamp, 1])})
    assert reply.status_code in (200, 400), reply.get_json()
    if reply.status_code == 200:
        assert len(reply.get_json()["data"]["users"]) == expected_count


def test_a_valid_cursor_with_other_offset_is_accepted(client: FlaskClient, app: Flask) -> None:
    """A hand-made cursor in another time zone means the same instant (not a 400)."""
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    ids = _insert_users(app, 4, start)
    # 13:00:02+01:00 is 12:00:02 UTC, the created_at of the third user: older ones come next.
    cursor = _cursor(["2026-03-01T13:00:02+01:00", ids[2]])
    data = _page(client, f"?cursor={cursor}")
    assert [u["id"] for u in data["users"]] == [ids[1], ids[0]]


def _plan(app: Flask, is_postgres: bool, sql: str, params: dict[str, Any]) -> str:
    """The database's plan for `sql`; on PostgreSQL with sequential scans discouraged."""
    statement = text(("EXPLAIN " if is_postgres else "EXPLAIN QUERY PLAN ") + sql)
    if "created_at" in params:
        statement = statement.bindparams(bindparam("created_at", type_=UTCDateTime()))
    with app.app_context(), db.engine.connect() as connection, connection.begin():
        if is_postgres:
            connection.execute(text("SET LOCAL enable_seqscan = off"))
        rows = connection.execute(statement, params).all()
    lines = [str(row[0]) if is_postgres else str(row[-1]) for row in rows]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        (FIRST_PAGE_SQL, {}),
        (NEXT_PAGE_SQL, {"created_at": datetime(2026, 1, 1, tzinfo=UTC), "id": 5}),
    ],
    ids=["first page", "after a cursor"],
)
def test_page_query_uses_the_created_at_id_index(
    app: Flask, is_postgres: bool, sql: str, params: dict[str, Any]
) -> None:
    """The newest-first page query is served by ix_users_created_at_id (no sort of the table)."""
    _insert_users(app, 30, datetime(2025, 12, 31, tzinfo=UTC))
    plan = _plan(app, is_postgres, sql, params)
    print(f"\n{'PostgreSQL' if is_postgres else 'SQLite'} plan:\n{plan}")
    assert INDEX in plan
    if not is_postgres:
        assert "TEMP B-TREE" not in plan  # SQLite would say so if it sorted the rows itself


def test_service_query_matches_the_explained_one(
    app: Flask, client: FlaskClient, is_postgres: bool
) -> None:
    """The SQL the service runs for a page orders by created_at DESC, id DESC (what we EXPLAIN)."""
    _insert_users(app, 3, datetime.now(UTC))
    statements: list[str] = []
    with app.app_context():
        engine = db.read_engine

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        _page(client, "?limit=20")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    page_sql = [s for s in statements if "FROM users" in s and "ORDER BY" in s]
    assert len(page_sql) == 1, statements
    assert "ORDER BY users.created_at DESC, users.id DESC" in page_sql[0]
    assert "LIMIT" in page_sql[0]
