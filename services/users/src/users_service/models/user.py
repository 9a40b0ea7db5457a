"""The users table. Column names match the reference service, so its data can be imported."""

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column

from users_service.models import clock
from users_service.models.base import Base, UTCDateTime

USERNAME_MAX = 128
EMAIL_MAX = 254


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    password_hash: Mapped[str] = mapped_column("password", String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Evaluated per row at insert time (the reference evaluated it once, at import).
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, server_default=func.now()
    )

    __table_args__ = (
        # Uniqueness lives in the database, so concurrent duplicates cannot both win.
        Index("uq_users_email_lower", func.lower(email), unique=True),
        Index("uq_users_username_lower", func.lower(username), unique=True),
        # Serves the newest-first keyset pagination of GET /users in either direction.
        Index("ix_users_created_at_id", created_at, id),
    )
