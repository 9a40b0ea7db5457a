"""Fixtures of the auth tests: apps with rate limits on, a clock at a window's start, and the
service's token keys (and a stranger's)."""

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from users_service.auth import rsa_keys
from users_service.auth.tokens import TokenKeys

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.tokens import keys_of


@pytest.fixture
def limited(make_app: Callable[..., Flask], app: Flask) -> Callable[..., Flask]:
    """Apps with rate limits on (`app` is requested so its teardown empties the tables)."""

    def factory(**overrides: Any) -> Flask:
        return make_app(rate_limits_enabled=True, **overrides)

    return factory


@pytest.fixture
def window_start(fake_clock: FakeClock) -> datetime:
    """Put the clock at the start of a minute (in the past, so tokens stay valid)."""
    now = fake_clock.current
    fake_clock.current = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    start: datetime = fake_clock.current
    return start


@pytest.fixture
def keys(app: Flask) -> TokenKeys:
    """What `app` signs and verifies tokens with."""
    return keys_of(app)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa_keys.rsa.RSAPrivateKey:
    return rsa_keys.parse_keys(rsa_keys.generate_pem())[0].private


@pytest.fixture
def stranger_keys(keys: TokenKeys, other_rsa_key: rsa_keys.rsa.RSAPrivateKey) -> TokenKeys:
    """The service's keys with another signing key of the same algorithm (and the same kid)."""
    other = "another secret long enough for hs256!" if keys.signing_kid is None else other_rsa_key
    return dataclasses.replace(keys, signing=other)
