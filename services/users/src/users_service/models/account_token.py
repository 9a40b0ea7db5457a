"""One-time tokens mailed to an account's address: a password reset, or the proof that the
address is the user's. 256 random bits, stored only as a digest, spent once, and only for
the purpose they were issued for.
"""

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, delete, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from users_service import clock
from users_service.models.base import Base, Expiring, UTCDateTime
from users_service.models.refresh_token import TOKEN_BYTES, digest
from users_service.models.user import EMAIL_MAX


class Purpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a credential
    VERIFY_EMAIL = "verify_email"


class AccountToken(Expiring, Base):
    __tablename__ = "account_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))
    # The address the token was mailed to: a verification proves this address only.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_account_tokens_user_id_purpose", user_id, purpose),)

    @classmethod
    def issue(
        cls, session: Session, user_id: int, purpose: Purpose, email: str, ttl_seconds: int
    ) -> str:
        """A new token (committed by the caller); every earlier one of the same purpose is
        forgotten, so only the newest mail works."""
        cls.forget(session, user_id, purpose)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires_at = clock.now() + timedelta(seconds=ttl_seconds)
        session.add(
            cls(
                token_hash=digest(token),
                user_id=user_id,
                purpose=purpose.value,
                email=email,
                expires_at=expires_at,
            )
        )
        return token

    @classmethod
    def spend(cls, session: Session, token: str, purpose: Purpose) -> "tuple[int, str] | None":
        """(user id, email) of an unexpired, unspent token of this purpose, now spent
        (committed by the caller); None for any other token. One conditional UPDATE: of two
        concurrent spenders, exactly one wins."""
        found = session.execute(
            update(cls)
            .where(
                cls.token_hash == digest(token),
                cls.purpose == purpose.value,
                cls.used_at.is_(None),
                cls.expires_at > clock.now(),
            )
            .values(used_at=clock.now())
            .returning(cls.user_id, cls.email)
            .execution_options(synchronize_session=False)
        ).first()
        return None if found is None else (found[0], found[1])

    @classmethod
    def forget(cls, session: Session, user_id: int, purpose: Purpose) -> None:
        """Delete the user's tokens of this purpose (committed by the caller)."""
        session.execute(delete(cls).where(cls.user_id == user_id, cls.purpose == purpose.value))
