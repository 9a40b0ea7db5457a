"""Rate-limit replies as tests check them."""

from typing import Any

from users_service.auth.rate_limits import TOO_MANY

GENEROUS = "1000/minute"  # a budget no test spends by accident


def assert_too_many(reply: Any) -> int:
    """A 429 JSON reply; returns its Retry-After in seconds."""
    assert reply.status_code == 429, reply.get_json()
    assert reply.get_json() == {"status": "fail", "message": TOO_MANY}
    retry_after = int(reply.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after
