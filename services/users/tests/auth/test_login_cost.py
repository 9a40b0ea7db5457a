"""What a refused login costs while imported bcrypt hashes remain (issue 16, finding 8): a
wrong password for an imported account took ~260 ms, every other refusal ~25 ms, so timing
told which accounts were imported and not yet migrated. Now every refusal checks one argon2
and one bcrypt hash of the imported hashes' cost, and the service learns whether such hashes
remain from one query per worker and interval, not per login.
"""

import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.helpers import PASSWORD, PRODUCTION_HASHING, register_body
from services.users.tests.support.passwords import VerificationCounter, legacy_bcrypt, store_hash

WRONG = "wrong password!"
ROUNDS = 9
IMPORTED_COST = 11  # ~0.25 s per check here, as the finding measured


@pytest.fixture
def accounts(app: Flask, make_user: Callable[..., User]) -> dict[str, str]:
    """Emails of: an imported account (bcrypt), a migrated one (argon2), an inactive one of
    each kind."""
    emails = {}
    for kind in ("imported", "migrated", "inactive-imported", "inactive-migrated"):
        user = make_user(email=f"{kind}@example.com", active=not kind.startswith("inactive"))
        if kind.endswith("imported"):
            store_hash(app, user.email, legacy_bcrypt(PASSWORD))
        emails[kind] = user.email
    return emails


def log_in(client: FlaskClient, email: str, password: str) -> int:
    return int(client.post("/auth/login", json={"email": email, "password": password}).status_code)


REFUSALS = {
    "unknown email": ("nobody@example.com", PASSWORD),
    "imported, wrong password": ("imported@example.com", WRONG),
    "migrated, wrong password": ("migrated@example.com", WRONG),
    "inactive imported, right password": ("inactive-imported@example.com", PASSWORD),
    "inactive migrated, right password": ("inactive-migrated@example.com", PASSWORD),
}


@pytest.mark.parametrize(("email", "password"), REFUSALS.values(), ids=REFUSALS.keys())
def test_every_refusal_checks_one_hash_of_each_kind_while_imported_hashes_remain(
    app: Flask,
    client: FlaskClient,
    accounts: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    password: str,
) -> None:
    checks = VerificationCounter(app, monkeypatch)
    assert log_in(client, email, password) == 404
    assert (checks.bcrypt_check, checks.argon2_verify) == (1, 1)


def test_without_imported_hashes_a_refusal_is_one_argon2_check(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    checks = VerificationCounter(app, monkeypatch)
    assert log_in(client, user.email, WRONG) == 404
    assert log_in(client, "nobody@example.com", PASSWORD) == 404
    assert (checks.bcrypt_check, checks.argon2_verify) == (0, 2)


def test_an_imported_account_still_logs_in_and_is_migrated(
    app: Flask, client: FlaskClient, accounts: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A success pays no dummy: one bcrypt check, then the argon2id hash that replaces it."""
    checks = VerificationCounter(app, monkeypatch)
    assert log_in(client, accounts["imported"], PASSWORD) == 200
    assert (checks.bcrypt_check, checks.argon2_verify) == (1, 0)
    assert log_in(client, accounts["imported"], PASSWORD) == 200
    assert checks.bcrypt_check == 1


def test_whether_imported_hashes_remain_is_not_asked_per_login(
    app: Flask, client: FlaskClient, accounts: dict[str, str]
) -> None:
    """One query for the whole run of logins (per worker and LEGACY_RECHECK_SECONDS)."""
    asked: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "substr" in statement.lower():
            asked.append(statement)

    with app.app_context():
        engine = db.read_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(5):
            log_in(client, accounts["migrated"], WRONG)
            log_in(client, "nobody@example.com", PASSWORD)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(asked) == 1


def _median_seconds(client: FlaskClient, cases: dict[str, tuple[str, str]]) -> dict[str, float]:
    """The median time of each refusal, measured in turns (so that a change in the machine's
    load falls on every case alike) after one unmeasured warm-up each."""
    durations: dict[str, list[float]] = {name: [] for name in cases}
    for measured in (False, *[True] * ROUNDS):
        for name, (email, password) in cases.items():
            start = time.perf_counter()
            assert log_in(client, email, password) == 404
            if measured:
                durations[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in durations.items()}


def test_an_imported_account_cannot_be_told_by_the_time_of_a_wrong_password(
    app: Flask, make_app: Callable[..., Flask]
) -> None:
    """Medians of repeated refusals, with the production argon2 parameters and an imported
    hash of cost 11: an imported account's wrong password, a migrated account's and an
    unknown email take the same time."""
    client = make_app(**PRODUCTION_HASHING).test_client()  # same database as `app`
    for name in ("imported", "migrated"):
        assert client.post("/auth/register", json=register_body(name)).status_code == 201
    store_hash(app, "userimported@example.com", legacy_bcrypt(PASSWORD, rounds=IMPORTED_COST))
    medians = _median_seconds(  # the app learns of the imported hash at its first login
        client,
        {
            "imported": ("userimported@example.com", WRONG),
            "unknown": ("nobody@example.com", PASSWORD),
            "migrated": ("usermigrated@example.com", WRONG),
        },
    )
    print("median refusal: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in medians.items()))
    for other in ("unknown", "migrated"):
        assert 0.6 <= medians["imported"] / medians[other] <= 1.67, medians
