"""Sessions: the token pair a login starts, refresh rotation, and logout.

A session is a family of refresh tokens. Its access tokens carry the family id, so one
revocation entry ends everything the session issued, on every instance.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from users_service import clock
from users_service.models import RefreshToken, RevokedToken, User, prune_expired
from users_service.runtime import Runtime
from users_service.security.tokens import TokenClaims, TokenError, issue_access_token


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def start(session: Session, runtime: Runtime, user_id: int) -> TokenPair:
    """A new family: one refresh token (stored) and one access token."""
    return _issue(session, runtime, user_id, uuid.uuid4().hex)


def owner_of(session: Session, refresh_token: str) -> int | None:
    """The user a refresh token was issued to (for per-account limits), if it exists."""
    row = RefreshToken.find(session, refresh_token)
    return row.user_id if row else None


def rotate(session: Session, runtime: Runtime, refresh_token: str) -> TokenPair:
    """Spend a refresh token for a new pair in the same family.

    Raises TokenError when the token is unknown, expired, revoked, already spent, or its
    user is gone or deactivated; a spent token presented again was copied, so its whole
    family is revoked first.
    """
    row = RefreshToken.find(session, refresh_token)
    if row is None or RevokedToken.is_revoked(session, RevokedToken.family_id(row.family)):
        raise TokenError()
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise TokenError()
    if row.expires_at <= clock.now():
        raise TokenError(expired=True)
    if not row.spend(session):
        _revoke_family(session, runtime, row.family)
        session.commit()
        raise TokenError()
    return _issue(session, runtime, row.user_id, row.family)


def end(session: Session, runtime: Runtime, claims: TokenClaims) -> None:
    """Logout: refuse this access token and (when it has one) its session everywhere."""
    prune_expired(session)
    RevokedToken.revoke(session, claims.jti, claims.expires_at)
    if claims.family is not None:
        _revoke_family(session, runtime, claims.family)
    session.commit()


def _issue(session: Session, runtime: Runtime, user_id: int, family: str) -> TokenPair:
    settings = runtime.settings
    refresh = RefreshToken.issue(session, user_id, family, settings.refresh_token_ttl_seconds)
    session.commit()
    access = issue_access_token(
        user_id, runtime.signing_key, settings.access_token_ttl_seconds, family
    )
    return TokenPair(access, refresh)


def _revoke_family(session: Session, runtime: Runtime, family: str) -> None:
    settings = runtime.settings
    # Long enough to outlive every token of the family, refresh or access.
    lifetime = max(settings.refresh_token_ttl_seconds, settings.access_token_ttl_seconds)
    expires_at = clock.now() + timedelta(seconds=lifetime)
    RevokedToken.revoke(session, RevokedToken.family_id(family), expires_at)
