"""Rate limits on login, register and refresh: per address and per account, shared by every
instance through the database, with X-Forwarded-For believed only from trusted proxies."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from users_service.config import ConfigError, Rate, load_settings
from users_service.models import RateLimitCounter, User
from users_service.models.database import db

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.helpers import PASSWORD, register_body
from services.users.tests.support.limits import GENEROUS, assert_too_many

TOO_MANY = "Too many requests. Try again later."


def login(client: FlaskClient, email: str, address: str = "10.0.0.1", **headers: str) -> Any:
    return client.post(
        "/auth/login",
        json={"email": email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def codes(replies: list[Any]) -> list[int]:
    return [reply.status_code for reply in replies]


def test_login_is_limited_per_address(
    limited: Callable[..., Flask], window_start: datetime
) -> None:
    client = limited(rate_limit_login_per_ip="3/minute", rate_limit_login_per_account=GENEROUS)
    replies = [login(client.test_client(), f"nobody{n}@example.com") for n in range(3)]
    assert codes(replies) == [404, 404, 404]
    assert assert_too_many(login(client.test_client(), "someone@example.com")) == 60
    assert login(client.test_client(), "x@example.com", address="10.0.0.2").status_code == 404


def test_retry_after_counts_down_and_the_window_reopens(
    limited: Callable[..., Flask], window_start: datetime, fake_clock: FakeClock
) -> None:
    client = limited(rate_limit_login_per_ip="1/minute").test_client()
    login(client, "a@example.com")
    fake_clock.advance(seconds=45)
    assert assert_too_many(login(client, "a@example.com")) == 15
    fake_clock.advance(seconds=15)
    assert login(client, "a@example.com").status_code == 404


def test_a_refused_address_does_not_spend_the_account_budget(
    limited: Callable[..., Flask], make_user: Callable[..., User], window_start: datetime
) -> None:
    """An attacker held back by address cannot lock the victim out by keeping on trying."""
    user = make_user()
    client = limited(
        rate_limit_login_per_ip="1/minute", rate_limit_login_per_account="2/minute"
    ).test_client()
    login(client, user.email, "10.6.6.6")
    for _ in range(5):
        assert_too_many(login(client, user.email, "10.6.6.6"))
    assert login(client, user.email, "10.0.0.7").status_code == 200


def test_two_instances_share_one_budget(
    limited: Callable[..., Flask], window_start: datetime
) -> None:
    settings = {"rate_limit_login_per_ip": "4/minute"}
    first, second = limited(**settings).test_client(), limited(**settings).test_client()
    replies = [login(client, "x@example.com") for client in (first, second, first, second)]
    assert codes(replies) == [404] * 4
    assert_too_many(login(first, "x@example.com"))
    assert_too_many(login(second, "x@example.com"))


def test_forwarded_for_is_ignored_without_trusted_proxies(
    limited: Callable[..., Flask], window_start: datetime
) -> None:
    client = limited(rate_limit_login_per_ip="2/minute").test_client()
    for n in range(2):
        login(client, "x@example.com", **{"X-Forwarded-For": f"192.0.2.{n}"})
    assert_too_many(login(client, "x@example.com", **{"X-Forwarded-For": "192.0.2.99"}))


def test_forwarded_for_is_read_through_the_trusted_proxy_count(
    limited: Callable[..., Flask], window_start: datetime
) -> None:
    """Behind one proxy the address is the last entry: entries a client adds are ignored."""
    client = limited(rate_limit_login_per_ip="2/minute", trusted_proxy_count=1).test_client()
    for spoofed in ("1.1.1.1", "2.2.2.2"):
        login(client, "x@example.com", **{"X-Forwarded-For": f"{spoofed}, 198.51.100.7"})
    assert_too_many(login(client, "x@example.com", **{"X-Forwarded-For": "198.51.100.7"}))
    assert login(client, "x@example.com", **{"X-Forwarded-For": "198.51.100.8"}).status_code == 404


def test_forwarded_for_is_believed_only_from_the_trusted_proxy_networks(
    limited: Callable[..., Flask], window_start: datetime
) -> None:
    """A client that reaches an instance directly cannot choose its address by writing the
    header the proxy would write: only peers inside TRUSTED_PROXY_NETWORKS are proxies."""
    client = limited(
        rate_limit_login_per_ip="2/minute",
        trusted_proxy_count=1,
        trusted_proxy_networks="172.30.42.10/32, fd00::/8",
    ).test_client()
    for spoofed in ("198.51.100.1", "198.51.100.2"):
        login(client, "x@example.com", "10.0.0.5", **{"X-Forwarded-For": spoofed})
    # Both counted against the direct peer 10.0.0.5, whatever the header said:
    assert_too_many(login(client, "x@example.com", "10.0.0.5", **{"X-Forwarded-For": "1.1.1.1"}))
    # From a trusted peer the header is believed: it names the same, exhausted client...
    proxied = login(client, "x@example.com", "172.30.42.10", **{"X-Forwarded-For": "10.0.0.5"})
    assert_too_many(proxied)
    # ...or another one, with its own budget.
    reply = login(client, "x@example.com", "fd00::7", **{"X-Forwarded-For": "10.0.0.6"})
    assert reply.status_code == 404


def test_register_is_limited_per_address_and_per_email(
    limited: Callable[..., Flask], window_start: datetime
) -> None:
    client = limited(
        rate_limit_register_per_ip="2/hour", rate_limit_register_per_account="1/hour"
    ).test_client()

    def register(n: int, email: str | None = None) -> Any:
        body = register_body(n, **({"email": email} if email else {}))
        return client.post("/auth/register", json=body, environ_base={"REMOTE_ADDR": "10.0.0.9"})

    assert register(1).status_code == 201
    assert register(2, email="user1@example.com").status_code == 429
    assert register(3).status_code == 201  # the refusal spent nothing of the address's budget
    # Hour windows start on the hour; the clock stands at a whole minute within it.
    assert assert_too_many(register(4)) == 3600 - window_start.minute * 60


def refresh(client: FlaskClient, token: str, address: str = "10.0.0.1") -> Any:
    return client.post(
        "/auth/refresh", json={"refresh_token": token}, environ_base={"REMOTE_ADDR": address}
    )


def test_refresh_is_limited_per_account(
    limited: Callable[..., Flask],
    make_user: Callable[..., User],
    window_start: datetime,
    fake_clock: FakeClock,
) -> None:
    user = make_user()
    client = limited(
        rate_limit_refresh_per_ip=GENEROUS, rate_limit_refresh_per_account="2/minute"
    ).test_client()
    token = login(client, user.email).get_json()["refresh_token"]
    for address in ("10.0.0.1", "10.0.0.2"):
        token = refresh(client, token, address).get_json()["refresh_token"]
    assert_too_many(refresh(client, token, "10.0.0.3"))
    # The refused request did not spend the token: it works once the window reopens.
    fake_clock.advance(minutes=1)
    assert refresh(client, token).status_code == 200


def test_refresh_is_limited_per_address(
    limited: Callable[..., Flask], window_start: datetime
) -> None:
    client = limited(rate_limit_refresh_per_ip="1/minute").test_client()
    assert refresh(client, "unknown", "10.0.0.4").status_code == 401
    assert_too_many(refresh(client, "unknown", "10.0.0.4"))


def test_concurrent_requests_are_each_counted_once(
    limited: Callable[..., Flask], window_start: datetime, is_postgres: bool
) -> None:
    """20 simultaneous logins against a limit of 10: exactly 10 get through."""
    application = limited(rate_limit_login_per_ip="10/minute", db_pool_size=20)

    def attempt(_: int) -> int:
        return int(login(application.test_client(), "x@example.com").status_code)

    with ThreadPoolExecutor(max_workers=20 if is_postgres else 1) as pool:
        results = list(pool.map(attempt, range(20)))
    print(f"20 concurrent logins, limit 10: {sorted(results)}")
    assert results.count(404) == 10
    assert results.count(429) == 10


def test_counters_store_no_address_or_email(
    app: Flask, limited: Callable[..., Flask], window_start: datetime
) -> None:
    login(limited().test_client(), "private@example.com", "203.0.113.5")
    with app.app_context():
        buckets = db.session.scalars(select(RateLimitCounter.bucket)).all()
    assert sorted(bucket.split(":")[:2] for bucket in buckets) == [
        ["login", "account"],
        ["login", "account-ip"],
        ["login", "ip"],
    ]
    assert not any("private" in bucket or "203.0" in bucket for bucket in buckets)


def test_limits_can_be_switched_off(make_app: Callable[..., Flask], app: Flask) -> None:
    client = make_app(rate_limits_enabled=False, rate_limit_login_per_ip="1/minute")
    assert codes([login(client.test_client(), "x@example.com") for _ in range(3)]) == [404] * 3


def test_rates_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_LOGIN_PER_IP", "5 / second")
    monkeypatch.setenv("RATE_LIMIT_REFRESH_PER_ACCOUNT", "7/day")
    settings = load_settings()
    assert settings.rate_limit_login_per_ip == Rate(5, 1)
    assert settings.rate_limit_refresh_per_account == Rate(7, 86400)


@pytest.mark.parametrize("value", ["0/minute", "5/fortnight", "five/minute", "5", "-1/hour"])
def test_malformed_rates_fail_loudly(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("RATE_LIMIT_LOGIN_PER_IP", value)
    with pytest.raises(ConfigError, match="RATE_LIMIT_LOGIN_PER_IP"):
        load_settings()


def test_expired_counters_are_pruned(
    app: Flask, limited: Callable[..., Flask], fake_clock: FakeClock
) -> None:
    login(limited().test_client(), "x@example.com")
    fake_clock.current = datetime.now(UTC) + timedelta(days=2)
    result = app.test_cli_runner().invoke(args=["prune-expired"])
    assert "3 rate-limit counter(s)" in result.output  # a failed login: address, 2 account
