"""Declarative base with a naming convention, so migrations name constraints predictably."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from users_service import clock

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def upsert_into(session: Session, model: type[Base]) -> Any:
    """An INSERT that takes ON CONFLICT clauses, for the dialect the session is bound to.

    Typed Any: the two dialects' Insert classes spell ON CONFLICT alike but share no base.
    """
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on PostgreSQL and on SQLite (which stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Expiring:
    """Rows that mean nothing after `expires_at` (revocations, refresh tokens, counters)."""

    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    @classmethod
    def prune(cls, session: Session) -> int:
        """Delete rows that have expired; returns how many (committed by the caller)."""
        result = session.execute(delete(cls).where(cls.expires_at < clock.now()))
        return int(getattr(result, "rowcount", 0) or 0)
