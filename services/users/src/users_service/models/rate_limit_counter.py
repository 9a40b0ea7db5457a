"""Request counters per (bucket, window), shared by every instance through the database."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from users_service.models.base import Base, Expiring, upsert_into


class RateLimitCounter(Expiring, Base):
    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)

    @classmethod
    def hits_in(cls, session: Session, bucket: str, window_start: int) -> int:
        """The requests counted in this window so far (a read: nothing is written)."""
        query = select(cls.hits).where(cls.bucket == bucket, cls.window_start == window_start)
        return int(session.scalar(query) or 0)

    @classmethod
    def hit(
        cls, session: Session, bucket: str, window_start: int, expires_at: datetime, limit: int
    ) -> bool:
        """Count one request in this window unless it already holds `limit`; False then.

        A single INSERT .. ON CONFLICT DO UPDATE .. WHERE .. RETURNING: concurrent requests
        on any instance are serialised by the row, so none is lost, none counted twice, and
        the count never passes the limit.
        """
        statement = (
            upsert_into(session, cls)
            .values(bucket=bucket, window_start=window_start, hits=1, expires_at=expires_at)
            .on_conflict_do_update(
                index_elements=[cls.bucket, cls.window_start],
                set_={"hits": cls.hits + 1},
                where=cls.hits < limit,
            )
            .returning(cls.hits)
        )
        return session.execute(statement).scalar_one_or_none() is not None
