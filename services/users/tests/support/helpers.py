"""Small helpers the tests import (fixtures live in conftest.py)."""

import io
import socket
from dataclasses import dataclass
from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.test import TestResponse

from users_service import migrations
from users_service.config import Settings
from users_service.models import User
from users_service.models.database import db

# Hashing made cheap for tests only (APP_ENV=testing is the one place that allows it).
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}
# What the service hashes with unless told otherwise: the settings' own defaults.
PRODUCTION_HASHING = {name: Settings.model_fields[name].default for name in FAST_HASHING}


# Production refuses the console backend: an SMTP server that no test sends mail to.
PRODUCTION_MAIL = {
    "mail_backend": "smtp",
    "smtp_host": "127.0.0.1",
    "smtp_port": 1,
    "mail_from": "Users <no-reply@example.com>",
    "public_app_url": "https://app.example.com",
}


def as_environment(settings: dict[str, Any]) -> dict[str, str]:
    """Settings as the variables a server process reads."""
    return {name.upper(): str(value) for name, value in settings.items()}


PASSWORD = "correct horse battery"
# A database URL nothing answers at (nothing listens on port 1).
UNREACHABLE_DATABASE = "postgresql://nobody:x@127.0.0.1:1/none"


def migration_head() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory(str(migrations.SCRIPT_LOCATION)).get_current_head()
    assert head is not None
    return head


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


def delete_user(app: Flask, user_id: int) -> None:
    """Delete the user's row (what an admin's tool might do behind the service's back)."""
    with app.app_context():
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()


def deactivate_user(app: Flask, user_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.active = False
        db.session.commit()


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


@dataclass
class Member:
    """A signed-in user: what an upload's metadata should name, and the auth headers."""

    id: int
    username: str
    headers: dict[str, str]


def upload(
    client: FlaskClient,
    member: Member,
    content: bytes,
    name: str = "data.bin",
    content_type: str = "application/octet-stream",
) -> TestResponse:
    """POST /files with `content` as the multipart part `file`."""
    data = {"file": (io.BytesIO(content), name, content_type)}
    return client.post("/files", data=data, headers=member.headers)


def uploaded(client: FlaskClient, member: Member, content: bytes, **kwargs: str) -> dict[str, Any]:
    """Upload and return the reply's `data`, asserting a 201."""
    reply = upload(client, member, content, **kwargs)
    assert reply.status_code == 201, reply.get_json()
    data: dict[str, Any] = reply.get_json()["data"]
    return data


def count_rows(settings: Settings, table: str) -> int:
    """Rows in `table`, counted on a connection of its own (what every instance would see)."""
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as connection:
            query = text(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            count: int = connection.execute(query).scalar_one()
            return count
    finally:
        engine.dispose()


def assert_json_error(reply: TestResponse, code: int) -> dict[str, object]:
    """`reply` is a JSON error with this code in the contract's envelope; returns the body."""
    assert reply.status_code == code
    assert reply.content_type == "application/json"
    text = reply.get_data(as_text=True)
    assert "<html" not in text.lower()
    assert "<!doctype" not in text.lower()
    body = reply.get_json()
    assert isinstance(body, dict)
    assert body["status"] in {"error", "fail"}
    assert isinstance(body["message"], str)
    assert body["message"]
    return body
