"""Persistence: the tables and the domain methods that belong to them."""

from users_service.models.base import Base
from users_service.models.rate_limit_counter import RateLimitCounter
from users_service.models.refresh_token import RefreshToken
from users_service.models.revoked_token import RevokedToken
from users_service.models.stored_file import FileBlob, StoredFile
from users_service.models.user import User

__all__ = [
    "Base",
    "FileBlob",
    "RateLimitCounter",
    "RefreshToken",
    "RevokedToken",
    "StoredFile",
    "User",
]
