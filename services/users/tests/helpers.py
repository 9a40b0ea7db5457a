"""Small helpers the tests import (fixtures live in conftest.py)."""

import socket
from typing import Any

from flask import Flask

from users_service.extensions import db

# Hashing made cheap for tests only (APP_ENV=testing is the one place that allows it).
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}
PASSWORD = "correct horse battery"
# A database URL nothing answers at (nothing listens on port 1).
UNREACHABLE_DATABASE = "postgresql://nobody:x@127.0.0.1:1/none"


def free_port() -> int:
    """A local port that nothing listened on a moment ago (bound to 127.0.0.1:0, then freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def dispose_engine(app: Flask) -> None:
    """Close the pooled database connections of `app`."""
    with app.app_context():
        db.engine.dispose()


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
