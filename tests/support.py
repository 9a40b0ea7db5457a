"""What the system tests share besides their fixtures (conftest.py)."""

import secrets
from collections.abc import Callable
from typing import Any

import requests

from services.users.tests.support.helpers import register_body

# The `record` fixture: print a measured figure and repeat it in the run's summary.
Record = Callable[[str], None]


def register(base_url: str, session: requests.Session | None = None) -> dict[str, Any]:
    """A new user through `base_url`; its credentials and the reply's tokens."""
    body = register_body(secrets.token_hex(6))
    reply = (session or requests).post(f"{base_url}/auth/register", json=body, timeout=30)
    assert reply.status_code == 201, reply.text
    return body | reply.json()
