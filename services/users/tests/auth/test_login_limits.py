"""Login budgets that cannot be turned against the owner (issue 16, finding 6), keyed like the
account lookup (finding 7), and refusals that write nothing (the 429 low item).

Failed attempts are counted per account and address, and per account over all addresses
(never refusing the address the account last logged in from); correct logins spend neither.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from users_service.models import RateLimitCounter, User
from users_service.models.database import db
from users_service.users import accounts
from users_service.users.identities import email_key

from services.users.tests.support.helpers import PASSWORD
from services.users.tests.support.limits import GENEROUS, assert_too_many

OWNER = "10.0.0.7"
ATTACKER = "10.6.6.6"
WRONG = "not the password"


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user(username="michael", email="michael@example.com")


@pytest.fixture
def budgets(limited: Callable[..., Flask]) -> Callable[..., FlaskClient]:
    """A client of an app with these login budgets (failures per account and address, and
    per account over all addresses); the per-address budget out of reach."""

    def client(per_account: str, all_addresses: str = GENEROUS) -> FlaskClient:
        app = limited(
            rate_limit_login_per_ip=GENEROUS,
            rate_limit_login_per_account=per_account,
            rate_limit_login_per_account_all_addresses=all_addresses,
        )
        return app.test_client()

    return client


def attempt(client: FlaskClient, email: str, address: str, password: str = PASSWORD) -> int:
    reply = client.post(
        "/auth/login",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    if reply.status_code == 429:
        assert_too_many(reply)
    return int(reply.status_code)


def buckets(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(select(RateLimitCounter.bucket, RateLimitCounter.hits))
        return {bucket.rsplit(":", 1)[0]: hits for bucket, hits in rows}


@pytest.mark.usefixtures("window_start")
def test_one_address_guessing_cannot_keep_the_owner_out(
    budgets: Callable[..., FlaskClient], owner: User
) -> None:
    """Defect: 10 wrong guesses from one address locked the owner out from everywhere.
    Now the guesser spends its own address's budget only."""
    client = budgets(per_account="3/minute")
    guesses = [attempt(client, owner.email, ATTACKER, WRONG) for _ in range(20)]
    assert guesses == [404] * 3 + [429] * 17
    for _ in range(3):
        assert attempt(client, owner.email, OWNER) == 200


@pytest.mark.usefixtures("window_start")
def test_correct_logins_spend_no_account_budget(
    app: Flask, budgets: Callable[..., FlaskClient], owner: User
) -> None:
    """The owner logs in far more often than either account budget allows, from one address
    and from several: never refused, and no account counter moves."""
    client = budgets(per_account="2/minute", all_addresses="3/minute")
    replies = [attempt(client, owner.email, f"10.0.0.{n % 4}") for n in range(12)]
    assert replies == [200] * 12
    assert set(buckets(app)) == {"login:ip"}
    # The budgets are whole: the owner's own two typos are still allowed.
    assert [attempt(client, owner.email, OWNER, WRONG) for _ in range(3)] == [404, 404, 429]


@pytest.mark.usefixtures("window_start")
def test_the_distributed_budget_stops_many_addresses_but_not_the_last_good_one(
    budgets: Callable[..., FlaskClient], owner: User
) -> None:
    """Many addresses, one guess each: the per-account budget over all addresses refuses the
    rest, even with the right password from a new address; the address the account last
    logged in from still gets in."""
    client = budgets(per_account="2/minute", all_addresses="5/minute")
    assert attempt(client, owner.email, OWNER) == 200  # recorded as the last good address
    guesses = [attempt(client, owner.email, f"198.51.100.{n}", WRONG) for n in range(1, 9)]
    assert guesses == [404] * 5 + [429] * 3
    assert attempt(client, owner.email, "198.51.100.99") == 429
    assert attempt(client, owner.email, OWNER) == 200


@pytest.mark.usefixtures("window_start")
def test_the_last_good_address_moves_with_each_successful_login(
    app: Flask, budgets: Callable[..., FlaskClient], owner: User
) -> None:
    """Only the address of the latest success is exempt, and it is stored as a digest."""
    client = budgets(per_account="5/minute", all_addresses="2/minute")
    assert attempt(client, owner.email, OWNER) == 200
    assert attempt(client, owner.email, "10.0.0.8") == 200
    for address in ("203.0.113.1", "203.0.113.2"):
        assert attempt(client, owner.email, address, WRONG) == 404
    assert attempt(client, owner.email, OWNER) == 429
    assert attempt(client, owner.email, "10.0.0.8") == 200
    with app.app_context():
        stored = db.session.get(User, owner.id)
        assert stored is not None
        assert stored.last_login_from is not None
        assert "10.0.0" not in stored.last_login_from


SPELLINGS = [
    "michael@example.com",
    "MICHAEL@Example.COM",
    "\uff4dichael@example.com",  # fullwidth m
    "michae\u006c@EXAMPLE.com",
    "m\u0130chael@example.com",  # capital I with dot above: folds to i + combining dot
    "mich\u0430el@example.com",  # Cyrillic a
    "michael@xn--exmple-cua.com",  # another domain (punycode of exämple)
]


def test_bucket_keys_and_lookups_agree_on_every_spelling(app: Flask, owner: User) -> None:
    """Defect: the bucket key was Python's lower() and the lookup SQL's lower(), so `İ` gave
    a fresh budget and still found the account. Now a spelling finds the account exactly
    when it shares the account's budget."""
    with app.app_context():
        for spelling in SPELLINGS:
            found = accounts.find_by_email(db.session, spelling)
            assert (found is not None) == (email_key(spelling) == owner.email_key), spelling


@pytest.mark.usefixtures("window_start")
def test_no_spelling_of_the_email_gets_a_fresh_budget(
    budgets: Callable[..., FlaskClient], owner: User
) -> None:
    """Once the guesser's budget for the account is spent, every spelling that would log in
    is refused; the spellings that are not refused do not log in."""
    client = budgets(per_account="2/minute")
    assert [attempt(client, owner.email.upper(), ATTACKER, WRONG) for _ in range(2)] == [404] * 2
    outcomes = {spelling: attempt(client, spelling, ATTACKER) for spelling in SPELLINGS}
    assert 200 not in outcomes.values(), outcomes
    assert outcomes["m\u0130chael@example.com"] == 404
    assert outcomes["\uff4dichael@example.com"] == 429


class Writes:
    """Counts the statements that write, and the commits, of an app's engine."""

    def __init__(self, app: Flask) -> None:
        self.statements: list[str] = []
        self.commits = 0
        with app.app_context():
            self.engine = db.read_engine  # the pool's own engine: sees writes too

    def __enter__(self) -> "Writes":
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            self.statements.append(statement)

    def _commit(self, _conn: Any) -> None:
        self.commits += 1


@pytest.fixture
def refusing(limited: Callable[..., Flask], owner: User, window_start: datetime) -> Flask:
    """An app whose budgets the attacker has already spent (one per kind of budget)."""
    app = limited(
        rate_limit_login_per_ip="2/minute",
        rate_limit_login_per_account="1/minute",
        rate_limit_refresh_per_ip="1/minute",
        rate_limit_register_per_ip="1/hour",
    )
    client = app.test_client()
    attempt(client, owner.email, ATTACKER, WRONG)  # spends the failures of the account
    attempt(client, "x@example.com", ATTACKER, WRONG)  # and the address's
    client.post(
        "/auth/refresh", json={"refresh_token": "x"}, environ_base={"REMOTE_ADDR": ATTACKER}
    )
    client.post("/auth/register", json={}, environ_base={"REMOTE_ADDR": ATTACKER})
    return app


def test_refused_requests_write_nothing(app: Flask, refusing: Flask, owner: User) -> None:
    """Defect: every 429 still committed a counter row, so an attacker could make the
    service write at will. Refusals now only read."""
    before = buckets(app)
    client = refusing.test_client()
    with Writes(refusing) as writes:
        for _ in range(5):
            assert attempt(client, owner.email, ATTACKER, WRONG) == 429
            assert attempt(client, "y@example.com", ATTACKER) == 429
            refresh = client.post(
                "/auth/refresh", json={"refresh_token": "x"}, environ_base={"REMOTE_ADDR": ATTACKER}
            )
            assert refresh.status_code == 429
    assert writes.statements == []
    assert writes.commits == 0
    assert buckets(app) == before


@pytest.mark.usefixtures("window_start")
def test_failures_never_count_past_the_limit(
    app: Flask, budgets: Callable[..., FlaskClient], owner: User
) -> None:
    client = budgets(per_account="2/minute", all_addresses="3/minute")
    for _ in range(6):
        attempt(client, owner.email, ATTACKER, WRONG)
    assert buckets(app)["login:account-ip"] == 2
    assert buckets(app)["login:account"] == 2


@pytest.mark.parametrize("email", ["\ud800@example.com", "a\x00b@example.com", "x" * 4000])
def test_odd_emails_at_login_are_answered_in_json(
    limited: Callable[..., Flask], email: str
) -> None:
    """A lone surrogate, a NUL or an over-long address: refused like any unknown email
    (or as an invalid payload), never a 500."""
    client = limited().test_client()
    reply = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert reply.status_code in (400, 404), reply.get_data(as_text=True)
    assert reply.is_json
