"""Revoked ids, shared by every instance through the database until they expire.

Two kinds of id live here: an access token's `jti`, and `family:<id>` for a whole session
(every access and refresh token issued from one login). One indexed lookup checks both.
"""

from datetime import datetime

from sqlalchemy import Exists, String, exists
from sqlalchemy.orm import Mapped, Session, mapped_column

from users_service.models.base import Base, Expiring, upsert_into


class RevokedToken(Expiring, Base):
    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)

    @classmethod
    def revoke(cls, session: Session, jti: str, expires_at: datetime) -> None:
        """Record the id; idempotent, also against a concurrent logout with the same token."""
        statement = upsert_into(session, cls).values(jti=jti, expires_at=expires_at)
        session.execute(statement.on_conflict_do_nothing(index_elements=[cls.jti]))

    @staticmethod
    def family_id(family: str) -> str:
        """The revocation id of a session family."""
        return f"family:{family}"

    @classmethod
    def any_of(cls, *ids: object) -> Exists:
        """Whether any of these ids (or bound parameters) is revoked, as a column of a
        larger query."""
        return exists().where(cls.jti.in_(ids))
