"""Revoked token ids, shared by every instance through the database until they expire."""

from datetime import datetime

from sqlalchemy import String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from users_service import clock
from users_service.models.base import Base, UTCDateTime


class RevokedToken(Base):
    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    @classmethod
    def revoke(cls, session: Session, jti: str, expires_at: datetime) -> None:
        """Record the id (idempotent: a second logout with the same token changes nothing)."""
        if session.get(cls, jti) is None:
            session.add(cls(jti=jti, expires_at=expires_at))

    @classmethod
    def is_revoked(cls, session: Session, jti: str) -> bool:
        return session.scalar(select(cls.jti).where(cls.jti == jti)) is not None

    @classmethod
    def prune(cls, session: Session) -> int:
        """Delete entries whose token has expired anyway; returns how many."""
        result = session.execute(delete(cls).where(cls.expires_at < clock.now()))
        return int(getattr(result, "rowcount", 0) or 0)
