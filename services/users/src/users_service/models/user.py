"""The users table. Column names match the reference service, so its data can be imported."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, Row, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column

from users_service import clock
from users_service.models.base import Base, UTCDateTime
from users_service.models.identity_keys import canonical, email_key, key_of

USERNAME_MAX = 128
EMAIL_MAX = 254
DIGEST_LENGTH = 40  # a client address, hashed as the rate limits hash it


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    # The canonical forms (identity_keys.py) that uniqueness and logins compare.
    username_key: Mapped[str] = mapped_column(
        String(USERNAME_MAX), default=key_of("username", canonical)
    )
    email_key: Mapped[str] = mapped_column(String(EMAIL_MAX), default=key_of("email", email_key))
    # Where the last successful login came from: the distributed login budget never refuses it.
    last_login_from: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH), nullable=True)
    password_hash: Mapped[str] = mapped_column("password", String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whether the owner of the address followed a verification link (EMAIL_VERIFICATION).
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Incremented to end every session at once (models/login_session.py); access tokens
    # carry the generation they were issued in.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Evaluated per row at insert time (the reference evaluated it once, at import).
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, server_default=func.now()
    )

    __table_args__ = (
        # Uniqueness lives in the database, so concurrent duplicates cannot both win.
        Index("uq_users_email_key", email_key, unique=True),
        Index("uq_users_username_key", username_key, unique=True),
        # Serves the newest-first keyset pagination of GET /users in either direction.
        Index("ix_users_created_at_id", created_at, id),
        # SQLite would otherwise reuse the id of the newest deleted user.
        {"sqlite_autoincrement": True},
    )


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as a request reads it with one Core query (database.read_one): what replies
    show and guards check, never the password hash. It cannot be changed: a request that
    changes a user loads the `User` model in its session."""

    id: int
    username: str
    email: str
    created_at: datetime
    active: bool
    admin: bool
    email_verified: bool
    session_generation: int

    @classmethod
    def of(cls, row: Row[Any]) -> "UserView":
        """The view in the first columns of `row` (a select that starts with USER_VIEW)."""
        return cls(*row[: len(USER_VIEW)])


USERS = User.__table__
USER_VIEW = tuple(USERS.c[field.name] for field in fields(UserView))
# What anyone may see of a user (and all that a list of users reads).
USER_PUBLIC = (USERS.c.id, USERS.c.username, USERS.c.email, USERS.c.created_at)
