"""Persistence: the tables and the domain methods that belong to them."""

from sqlalchemy.orm import Session

from users_service.models.account_token import AccountToken, Purpose
from users_service.models.base import Base
from users_service.models.login_session import LoginSession
from users_service.models.rate_limit_counter import RateLimitCounter
from users_service.models.refresh_token import RefreshToken
from users_service.models.revoked_token import RevokedToken
from users_service.models.stored_file import FileChunk, StoredFile
from users_service.models.user import User

# The tables whose rows mean nothing once expired (see base.Expiring).
EXPIRING = (RevokedToken, RefreshToken, LoginSession, AccountToken, RateLimitCounter)


def prune_expired(session: Session) -> dict[str, int]:
    """Delete every expired revocation, refresh token, session, mailed token and rate-limit
    counter (committed by the caller); how many rows of each table went."""
    return {model.__tablename__: model.prune(session) for model in EXPIRING}


__all__ = [
    "AccountToken",
    "Base",
    "FileChunk",
    "LoginSession",
    "Purpose",
    "RateLimitCounter",
    "RefreshToken",
    "RevokedToken",
    "StoredFile",
    "User",
    "prune_expired",
]
