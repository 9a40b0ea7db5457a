"""Sessions: what one login starts, listed to its user and ended by id, by all at once, or
by a password change.

A session's id is its refresh-token family (models/refresh_token.py), which its access
tokens name too. A session is alive while its row exists, has not expired, and belongs to
the user's current generation: ending every session of a user is one increment of
`User.session_generation`, which also refuses sessions a concurrent login is still creating.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from users_service import clock
from users_service.models.base import Base, Expiring, UTCDateTime

ID_LENGTH = 32
USER_AGENT_MAX = 256
ADDRESS_MAX = 45  # the longest textual IPv6 address (with an embedded IPv4 one)


class LoginSession(Expiring, Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # When its last refresh token was issued: at login, and at every refresh since.
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(ADDRESS_MAX), nullable=True)

    __table_args__ = (Index("ix_sessions_user_id_created_at", user_id, created_at),)

    @classmethod
    def live_of(
        cls, session: Session, user_id: int, generation: int, limit: int
    ) -> list["LoginSession"]:
        """The user's newest `limit` live sessions, newest first."""
        query = (
            select(cls)
            .where(
                cls.user_id == user_id,
                cls.generation == generation,
                cls.expires_at > clock.now(),
            )
            .order_by(cls.created_at.desc(), cls.id)
            .limit(limit)
        )
        return list(session.scalars(query))

    @classmethod
    def remove(cls, session: Session, user_id: int, session_id: str) -> bool:
        """Delete one of the user's sessions (committed by the caller); False when the user
        has no such session (also when a concurrent request deleted it first)."""
        result = session.execute(
            delete(cls)
            .where(cls.id == session_id, cls.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    @classmethod
    def remove_all(cls, session: Session, user_id: int, *, keep: str | None = None) -> None:
        """Delete the user's sessions, all but `keep` (committed by the caller)."""
        session.execute(delete(cls).where(cls.user_id == user_id, cls.id != (keep or "")))
