"""`users-service import-reference`: a reference-service database moves over and logs in."""

from collections.abc import Callable
from pathlib import Path

import bcrypt
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from users_service.models import User
from users_service.models.database import db

# The reference's table, as its models created it (admin was added late in the course).
REFERENCE_SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY, username VARCHAR(128) UNIQUE NOT NULL,
    email VARCHAR(128) UNIQUE NOT NULL, password VARCHAR(255) NOT NULL,
    active BOOLEAN NOT NULL, created_at DATETIME NOT NULL, admin BOOLEAN NOT NULL
)"""
ROWS = [  # id, username, email, password, active, admin
    (3, "michael", "michael@realpython.com", "michael-pass", True, False),
    (7, "michaelherman", "michael@mherman.org", "herman-pass", True, True),
    (9, "Michael2", "MICHAEL@realpython.com", "other-pass", True, False),  # case duplicate
    (12, "gone", "gone@example.com", "gone-pass", False, False),
    (13, "\uff2d\uff49\uff43\uff48\uff41\uff45\uff4c", "fw@example.com", "fw-pass", True, False),
    (14, "\ufdfa" * 10, "long@example.com", "long-pass", True, False),  # 180 once normalised
]


def reference_database(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(REFERENCE_SCHEMA))
        for user_id, name, email, password, active, admin in ROWS:
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
            connection.execute(
                text("INSERT INTO users VALUES (:id, :u, :e, :p, :a, '2017-08-01 23:59:59', :adm)"),
                {"id": user_id, "u": name, "e": email, "p": hashed, "a": active, "adm": admin},
            )
    engine.dispose()
    return url


def run_import(app: Flask, url: str) -> str:
    result = app.test_cli_runner().invoke(args=["import-reference", url])
    assert result.exit_code == 0, result.output
    return result.output


def test_import_keeps_ids_flags_and_timestamps(app: Flask, tmp_path: Path) -> None:
    output = run_import(app, reference_database(tmp_path / "reference.sqlite3"))
    assert "imported 3 user(s), skipped 3" in output
    assert "MICHAEL@realpython.com: email taken" in output
    assert "fw@example.com: username taken" in output  # fullwidth Michael is michael
    assert "long@example.com: username or email too long once normalised" in output
    with app.app_context():
        users = {u.id: u for u in db.session.query(User)}
    assert sorted(users) == [3, 7, 12]
    assert users[7].admin
    assert not users[3].admin
    assert not users[12].active
    assert users[3].created_at.isoformat() == "2017-08-01T23:59:59+00:00"


def test_imported_bcrypt_password_logs_in_and_is_upgraded(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    run_import(app, reference_database(tmp_path / "reference.sqlite3"))
    body = {"email": "michael@realpython.com", "password": "michael-pass"}
    assert client.post("/auth/login", json=body).status_code == 200
    with app.app_context():
        stored = db.session.get(User, 3)
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert client.post("/auth/login", json=body).status_code == 200


def test_new_users_get_ids_after_the_imported_ones(
    app: Flask, client: FlaskClient, tmp_path: Path, make_user: Callable[..., User]
) -> None:
    run_import(app, reference_database(tmp_path / "reference.sqlite3"))
    assert make_user().id > 12


def test_import_twice_skips_everything_the_second_time(app: Flask, tmp_path: Path) -> None:
    url = reference_database(tmp_path / "reference.sqlite3")
    run_import(app, url)
    assert "imported 0 user(s), skipped 6" in run_import(app, url)
