"""Refresh tokens: opaque, single use, stored only as a SHA-256 digest.

Each login starts a family; each refresh spends one token and issues its successor in the
same family. A token spent twice means it was copied, so the caller revokes the family.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from users_service import clock
from users_service.models.base import Base, Expiring, UTCDateTime

TOKEN_BYTES = 32  # 256 bits: guessing is hopeless, so a fast digest is enough to store it


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshToken(Expiring, Base):
    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @classmethod
    def issue(cls, session: Session, user_id: int, family: str, ttl_seconds: int) -> str:
        """Add a fresh token to `family` (committed by the caller); returns the token."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires_at = clock.now() + timedelta(seconds=ttl_seconds)
        row = cls(token_hash=digest(token), family=family, user_id=user_id, expires_at=expires_at)
        session.add(row)
        return token

    @classmethod
    def remove_family(cls, session: Session, family: str) -> None:
        session.execute(delete(cls).where(cls.family == family))

    @classmethod
    def remove_all(cls, session: Session, user_id: int) -> None:
        session.execute(delete(cls).where(cls.user_id == user_id))

    @classmethod
    def find(cls, session: Session, token: str) -> "RefreshToken | None":
        return session.get(cls, digest(token))

    def spend(self, session: Session) -> bool:
        """Mark used; False when it already was (also by a concurrent request: the
        conditional UPDATE lets exactly one spender win), or when it is gone."""
        result = session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == self.token_hash, RefreshToken.used_at.is_(None))
            .values(used_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def still_stored(self, session: Session) -> bool:
        """Whether the row is in the database now (not as this session last read it)."""
        query = select(RefreshToken.token_hash).where(RefreshToken.token_hash == self.token_hash)
        return session.scalar(query) is not None
