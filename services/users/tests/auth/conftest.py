"""Fixtures of the auth tests: apps with rate limits on, and a clock at a window's start."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from services.users.tests.support.clock import FakeClock


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
