"""Small helpers the tests import (fixtures live in conftest.py)."""

from typing import Any

# Hashing made cheap for tests only (APP_ENV=testing is the one place that allows it).
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}
PASSWORD = "correct horse battery"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register_body(n: int | str = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": f"user{n}",
        "email": f"user{n}@example.com",
        "password": PASSWORD,
    }
    body.update(overrides)
    return body
