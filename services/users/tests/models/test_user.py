"""The users table computes the canonical keys of a row written without them (a tool or a
test inserting rows directly), so uniqueness holds for every writer."""

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from users_service.models import User
from users_service.models.database import db


def _user(username: str, email: str) -> User:
    return User(username=username, email=email, password_hash="x")


def test_rows_written_without_keys_get_them(app: Flask) -> None:
    with app.app_context():
        db.session.add(_user("\u00c9mile", "Emile@Example.com"))
        db.session.commit()
        [user] = db.session.query(User).all()
        assert (user.username_key, user.email_key) == ("\u00e9mile", "emile@example.com")
        db.session.add(_user("\u00e9MILE", "other@example.com"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
