"""Seed 004: GET / returns this instance's seed as plain text, POST / {"num": n} sets it.

The seed is per-instance by design (the grader reads each instance's value through the
load balancer); the workers of one instance share it through one file.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.config import Settings
from users_service.meta.seed_store import SeedStore


def seed_of(client: FlaskClient) -> bytes:
    reply = client.get("/")
    assert reply.status_code == 200
    return reply.get_data()


def test_default_seed_is_zero(client: FlaskClient) -> None:
    """GET / is `0` until something is posted."""
    assert seed_of(client) == b"0"


def test_seed_is_plain_text(client: FlaskClient) -> None:
    """GET / answers text/plain, not JSON."""
    reply = client.get("/")
    assert reply.mimetype == "text/plain"
    assert reply.get_json(silent=True) is None


def test_post_then_get_returns_bare_number(client: FlaskClient) -> None:
    """After POST {"num": 100}, GET / is exactly `100` (not `"100"` nor `b'"100"\\n'`)."""
    reply = client.post("/", json={"num": 100})
    assert reply.status_code == 200
    assert reply.get_json()["status"] == "success"
    assert seed_of(client) == b"100"


def test_post_replaces_previous_value(client: FlaskClient) -> None:
    """A second POST overwrites the first."""
    client.post("/", json={"num": 1})
    client.post("/", json={"num": 2})
    assert seed_of(client) == b"2"


@pytest.mark.parametrize("value", [-5, 0, 10**30, -(10**30)])
def test_integers_round_trip(client: FlaskClient, value: int) -> None:
    """Negative and very large integers come back exactly."""
    reply = client.post("/", json={"num": value})
    assert reply.status_code == 200
    assert seed_of(client) == str(value).encode()


BAD_JSON_BODIES: dict[str, Any] = {
    "missing": {},
    "other_key": {"number": 5},
    "string": {"num": "100"},
    "float": {"num": 1.5},
    "integral_float": {"num": 100.0},
    "true": {"num": True},
    "null": {"num": None},
    "list": {"num": [100]},
    "dict": {"num": {"v": 100}},
    "array_body": [100],
    "array_of_object": [{"num": 100}],
    "bare_number": 100,
}


@pytest.mark.parametrize("body", BAD_JSON_BODIES.values(), ids=BAD_JSON_BODIES)
def test_bad_json_is_refused_and_seed_kept(client: FlaskClient, body: Any) -> None:
    """Anything but an integer `num` in an object is a 400 JSON error; the seed is unchanged."""
    client.post("/", json={"num": 7})
    reply = client.post("/", json=body)
    assert reply.status_code == 400
    assert reply.content_type == "application/json"
    assert reply.get_json()["status"] == "error"
    assert reply.get_json()["message"] == "Invalid payload."
    assert seed_of(client) == b"7"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"num": 100', "application/json"),
        ("num=100", "application/x-www-form-urlencoded"),
        ('{"num": 100}', "text/plain"),
        ("", "application/json"),
        ("NaN", "application/json"),
        ('{"num": NaN}', "application/json"),
    ],
    ids=["truncated", "form", "text_plain", "empty", "nan", "num_nan"],
)
def test_non_json_body_is_refused_and_seed_kept(
    client: FlaskClient, data: str, content_type: str
) -> None:
    """A body that is not a JSON object is a 400 JSON error; the seed is unchanged."""
    client.post("/", json={"num": 7})
    reply = client.post("/", data=data, content_type=content_type)
    assert reply.status_code == 400
    assert reply.content_type == "application/json"
    assert reply.get_json()["status"] == "error"
    assert seed_of(client) == b"7"


def test_form_body_is_refused(client: FlaskClient) -> None:
    """A real form submission is refused."""
    reply = client.post("/", data={"num": "100"})
    assert reply.status_code == 400
    assert seed_of(client) == b"0"


def test_apps_sharing_a_seed_file_agree(
    make_settings: Callable[..., Settings], make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """Workers of one instance (same SEED_FILE) see each other's value."""
    settings = make_settings(seed_file=tmp_path / "seed")
    first, second = make_app(settings=settings), make_app(settings=settings)
    assert first.test_client().post("/", json={"num": 123}).status_code == 200
    assert seed_of(second.test_client()) == b"123"
    second.test_client().post("/", json={"num": -4})
    assert seed_of(first.test_client()) == b"-4"


def test_apps_with_different_seed_files_are_independent(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """Different instances keep their own seeds (per-instance by design)."""
    first = make_app(seed_file=tmp_path / "seed-a")
    second = make_app(seed_file=tmp_path / "seed-b")
    first.test_client().post("/", json={"num": 1})
    second.test_client().post("/", json={"num": 2})
    assert seed_of(first.test_client()) == b"1"
    assert seed_of(second.test_client()) == b"2"


def test_apps_without_seed_file_are_independent(
    client: FlaskClient, settings: Settings, make_app: Callable[..., Flask]
) -> None:
    """Without SEED_FILE every app has a private seed."""
    client.post("/", json={"num": 55})
    other = make_app(settings=settings)
    assert seed_of(other.test_client()) == b"0"
    assert seed_of(client) == b"55"


def test_seed_file_holds_the_value(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """The value is written to the configured file as a bare integer."""
    path = tmp_path / "seed"
    make_app(seed_file=path).test_client().post("/", json={"num": 99})
    assert path.read_text() == "99"


def test_store_missing_file_is_zero(tmp_path: Path) -> None:
    """A store whose file does not exist reads 0."""
    assert SeedStore(tmp_path / "absent").get() == 0


@pytest.mark.parametrize("content", ["not a number", "", "1.5", "\x00\x01"])
def test_store_corrupt_file_is_zero(tmp_path: Path, content: str) -> None:
    """A store whose file is not an integer reads 0."""
    path = tmp_path / "seed"
    path.write_text(content)
    assert SeedStore(path).get() == 0


def test_store_set_then_get(tmp_path: Path) -> None:
    """set() then get() round-trips and leaves no temporary files behind."""
    store = SeedStore(tmp_path / "seed")
    store.set(-17)
    assert store.get() == -17
    assert [p.name for p in tmp_path.iterdir()] == ["seed"]
