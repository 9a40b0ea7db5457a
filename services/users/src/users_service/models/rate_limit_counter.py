"""Request counters per (bucket, window), shared by every instance through the database."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from users_service.models.base import Base, Expiring, upsert_into


class RateLimitCounter(Expiring, Base):
    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)

    @classmethod
    def hit(cls, session: Session, bucket: str, window_start: int, expires_at: datetime) -> int:
        """Count one request in this window and return the window's total.

        A single INSERT .. ON CONFLICT DO UPDATE .. RETURNING: concurrent requests on any
        instance are serialised by the row, so none is lost and none counted twice.
        """
        statement = (
            upsert_into(session, cls)
            .values(bucket=bucket, window_start=window_start, hits=1, expires_at=expires_at)
            .on_conflict_do_update(
                index_elements=[cls.bucket, cls.window_start], set_={"hits": cls.hits + 1}
            )
            .returning(cls.hits)
        )
        return int(session.execute(statement).scalar_one())
