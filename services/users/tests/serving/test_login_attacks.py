"""Login attacks against the real gunicorn (issue 16, findings 6 and 7, and the 429 writes):
one address guessing cannot keep the owner out, many addresses are stopped without stopping
the owner's last address, no spelling of the email buys a fresh budget, and refusals write
nothing. Clients are told apart as the load balancer would tell them: X-Forwarded-For from
a trusted proxy (127.0.0.1). Every loop is bounded; daily windows keep the counts exact.
"""

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import create_engine, text

from users_service.config import normalize_database_url

from services.users.tests.support.gunicorn_server import Serve, Server
from services.users.tests.support.helpers import PASSWORD, register_body

pytestmark = pytest.mark.serving
OWNER, OWNER_ELSEWHERE, ATTACKER = "198.51.100.7", "198.51.100.8", "203.0.113.66"
LIMITS = {
    "RATE_LIMITS_ENABLED": "true",
    "TRUSTED_PROXY_COUNT": "1",
    "TRUSTED_PROXY_NETWORKS": "127.0.0.1/32",
    "RATE_LIMIT_LOGIN_PER_IP": "1000/day",
    "RATE_LIMIT_LOGIN_PER_ACCOUNT": "3/day",
    "RATE_LIMIT_LOGIN_PER_ACCOUNT_ALL_ADDRESSES": "10/day",
}
WRONG = "not the password"


@pytest.fixture
def server(serve: Serve) -> Iterator[Server]:
    with serve(**LIMITS) as running:
        reply = requests.post(
            f"{running.base_url}/auth/register", json=register_body(1), timeout=10
        )
        assert reply.status_code == 201
        yield running


def login(server: Server, address: str, password: str = PASSWORD, email: str = "") -> int:
    reply = requests.post(
        f"{server.base_url}/auth/login",
        json={"email": email or "user1@example.com", "password": password},
        headers={"X-Forwarded-For": address},
        timeout=10,
    )
    assert reply.headers["Content-Type"] == "application/json"
    return reply.status_code


def counted_hits(database_url: str) -> int:
    engine = create_engine(normalize_database_url(database_url))
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(text("SELECT sum(hits) FROM rate_limit_counters")).scalar() or 0
            )
    finally:
        engine.dispose()


def test_one_address_cannot_keep_the_owner_out(server: Server) -> None:
    """Defect: 10 wrong guesses from one address, and the owner, from another address with
    the right password, got 429 for as long as the guessing went on."""
    assert login(server, OWNER) == 200
    guesses = [login(server, ATTACKER, WRONG) for _ in range(15)]
    assert guesses == [404] * 3 + [429] * 12
    assert [login(server, OWNER_ELSEWHERE) for _ in range(5)] == [200] * 5
    assert login(server, OWNER) == 200


def test_many_addresses_are_stopped_but_not_the_owners_last_address(server: Server) -> None:
    assert login(server, OWNER) == 200
    guesses = [login(server, f"203.0.113.{n}", WRONG) for n in range(1, 15)]
    assert guesses == [404] * 10 + [429] * 4
    assert login(server, OWNER_ELSEWHERE) == 429  # a new address while the account is attacked
    assert login(server, OWNER) == 200


def test_no_spelling_of_the_email_buys_a_fresh_budget(server: Server) -> None:
    """Defect: `İ` in an address gave a new budget and still logged in (the bucket key was
    Python's lower(), the lookup SQL's). Case and fullwidth spellings share one budget."""
    spellings = ["USER1@example.com", "user1@EXAMPLE.com", "\uff55ser1@example.com"]
    guesses = [login(server, ATTACKER, WRONG, email) for email in spellings * 2]
    assert guesses == [404] * 3 + [429] * 3
    assert login(server, ATTACKER, email="user1@example.com") == 429


def test_refusals_write_nothing(server: Server, database_url: str) -> None:
    """Defect: every 429 still committed a counter row."""
    for _ in range(3):
        login(server, ATTACKER, WRONG)
    before = counted_hits(database_url)
    assert [login(server, ATTACKER, WRONG) for _ in range(20)] == [429] * 20
    assert counted_hits(database_url) == before
