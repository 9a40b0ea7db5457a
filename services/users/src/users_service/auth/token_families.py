"""Token families: the token pair a login starts, refresh rotation, and logout.

A login starts a family of refresh tokens (a session, to its user). Its access tokens carry
the family id, so one revocation entry ends everything the family issued, on every instance.
Expired rows are removed by `users-service prune-expired`, not on the request path.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from users_service.auth.tokens import (
    TokenClaims,
    TokenError,
    TokenKeys,
    account_stamp,
    issue_access_token,
)
from users_service.config import Settings
from users_service.models import RefreshToken, RevokedToken, User, clock


class ReusedTokenError(TokenError):
    """A spent refresh token presented again (its family is now revoked): the token of
    `user_id` was copied, which the caller may want to record."""

    def __init__(self, user_id: int) -> None:
        super().__init__()
        self.user_id = user_id


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@dataclass(frozen=True)
class Signer:
    """What issuing and revoking need: the signing keys and the lifetimes in the settings."""

    settings: Settings
    keys: TokenKeys


def start(session: Session, signer: Signer, user: User) -> TokenPair:
    """A new family: one refresh token (stored) and one access token."""
    return _issue(session, signer, user, uuid.uuid4().hex)


def owner_of(session: Session, refresh_token: str) -> int | None:
    """The user a refresh token was issued to (for per-account limits), if it exists."""
    row = RefreshToken.find(session, refresh_token)
    return row.user_id if row else None


def rotate(session: Session, signer: Signer, refresh_token: str) -> TokenPair:
    """Spend a refresh token for a new pair in the same family.

    Raises TokenError when the token is unknown, expired, revoked, already spent, or its
    user is gone or deactivated; a spent token presented again was copied, so its whole
    family is revoked first (ReusedTokenError).
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
        _revoke_family(session, signer, row.family)
        session.commit()
        raise ReusedTokenError(row.user_id)
    return _issue(session, signer, user, row.family)


def end(session: Session, signer: Signer, claims: TokenClaims) -> None:
    """Logout: refuse this access token and (when it has one) its session everywhere."""
    RevokedToken.revoke(session, claims.jti, claims.expires_at)
    if claims.family is not None:
        _revoke_family(session, signer, claims.family)
    session.commit()


def _issue(session: Session, signer: Signer, user: User, family: str) -> TokenPair:
    settings = signer.settings
    refresh = RefreshToken.issue(session, user.id, family, settings.refresh_token_ttl_seconds)
    session.commit()
    access = issue_access_token(
        user.id,
        signer.keys,
        settings.access_token_ttl_seconds,
        family,
        account=account_stamp(user.created_at),
    )
    return TokenPair(access, refresh)


def _revoke_family(session: Session, signer: Signer, family: str) -> None:
    settings = signer.settings
    # Long enough to outlive every token of the family, refresh or access.
    lifetime = max(settings.refresh_token_ttl_seconds, settings.access_token_ttl_seconds)
    expires_at = clock.now() + timedelta(seconds=lifetime)
    RevokedToken.revoke(session, RevokedToken.family_id(family), expires_at)
