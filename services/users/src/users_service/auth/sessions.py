"""Sessions: the token pair a login starts, refresh rotation, and the ways a session ends.

A login starts a session (models/login_session.py): a family of refresh tokens whose id its
access tokens carry, so one revocation entry ends everything the session issued, on every
instance. Ending every session of a user is one increment of the user's generation, which
every token carries. Expired rows are removed by `users-service prune-expired`, not on the
request path.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from users_service import clock
from users_service.auth.tokens import (
    TokenClaims,
    TokenError,
    TokenKeys,
    account_stamp,
    issue_access_token,
)
from users_service.config import Settings
from users_service.models import LoginSession, RefreshToken, RevokedToken, User
from users_service.models.login_session import ADDRESS_MAX, USER_AGENT_MAX


class TokenReusedError(TokenError):
    """A spent refresh token was presented again: it was copied, and its session ended."""

    def __init__(self, user_id: int) -> None:
        super().__init__()
        self.user_id = user_id


class AccountGoneError(Exception):
    """The account was deleted while its login was being checked."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@dataclass(frozen=True)
class Signer:
    """What issuing and revoking need: the signing keys and the lifetimes in the settings."""

    settings: Settings
    keys: TokenKeys


@dataclass(frozen=True)
class Origin:
    """Where a login came from, as its user will see it in the list of sessions."""

    user_agent: str | None
    ip: str | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_agent", _clip(self.user_agent, USER_AGENT_MAX))
        object.__setattr__(self, "ip", _clip(self.ip, ADDRESS_MAX))


def start(session: Session, signer: Signer, user: User, origin: Origin) -> TokenPair:
    """A new session with its first token pair. `user.session_generation` is the one read
    when the password was checked: if every session ended since, this one is born ended."""
    now = clock.now()
    login = LoginSession(
        id=uuid.uuid4().hex,
        user_id=user.id,
        generation=user.session_generation,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=signer.settings.refresh_token_ttl_seconds),
        user_agent=origin.user_agent,
        ip=origin.ip,
    )
    try:
        session.add(login)
        return _issue(session, signer, user, login)
    except IntegrityError as error:  # the user's row went: the foreign keys refuse the session
        session.rollback()
        raise AccountGoneError() from error


def owner_of(session: Session, refresh_token: str) -> int | None:
    """The user a refresh token was issued to (for per-account limits), if it exists."""
    row = RefreshToken.find(session, refresh_token)
    return row.user_id if row else None


def rotate(session: Session, signer: Signer, refresh_token: str) -> TokenPair:
    """Spend a refresh token for a new pair in the same session.

    Raises TokenError when the token is unknown, expired, already spent, its session has
    ended, or its user is gone or deactivated; a spent token presented again was copied, so
    its whole session ends first.
    """
    row = RefreshToken.find(session, refresh_token)
    login = session.get(LoginSession, row.family) if row else None
    user = session.get(User, row.user_id) if row else None
    if row is None or login is None or user is None or not user.active:
        raise TokenError()
    if login.generation != user.session_generation:
        raise TokenError()
    if row.expires_at <= clock.now():
        raise TokenError(expired=True)
    if not row.spend(session):
        if not row.still_stored(session):
            # Removed since it was read: its session ended (a logout, a password change)
            # or its user went. Not a copy of the token being used.
            raise TokenError()
        end_session(session, signer, user.id, login.id)
        session.commit()
        raise TokenReusedError(user.id)
    login.last_used_at = clock.now()
    login.expires_at = login.last_used_at + timedelta(
        seconds=signer.settings.refresh_token_ttl_seconds
    )
    return _issue(session, signer, user, login)


def end(session: Session, signer: Signer, claims: TokenClaims) -> None:
    """Logout: refuse this access token and (when it has one) its session everywhere."""
    RevokedToken.revoke(session, claims.jti, claims.expires_at)
    if claims.family is not None:  # the token's own session, whether or not its row remains
        _revoke(session, signer, claims.family)
        LoginSession.remove(session, claims.user_id, claims.family)
    session.commit()


def end_session(session: Session, signer: Signer, user_id: int, session_id: str) -> bool:
    """End one of the user's sessions: its refresh tokens, and its access tokens on every
    instance (committed by the caller). False when the user has no such session."""
    owner = session.scalar(select(LoginSession.user_id).where(LoginSession.id == session_id))
    if owner != user_id:
        return False
    _revoke(session, signer, session_id)
    return LoginSession.remove(session, user_id, session_id)


def _revoke(session: Session, signer: Signer, session_id: str) -> None:
    """Refuse the session's tokens. Its refresh tokens are locked before its row, in the
    order a refresh locks them, so that ending a session and refreshing it at the same
    moment cannot deadlock."""
    RefreshToken.remove_family(session, session_id)
    settings = signer.settings
    # Long enough to outlive every token of the session, refresh or access.
    lifetime = max(settings.refresh_token_ttl_seconds, settings.access_token_ttl_seconds)
    expires_at = clock.now() + timedelta(seconds=lifetime)
    RevokedToken.revoke(session, RevokedToken.family_id(session_id), expires_at)


def end_all(session: Session, user: User, *, keep: str | None = None) -> None:
    """End every session of the user, all but `keep` when given (committed by the caller).

    The increment happens in the database, so concurrent ones all count; a session that
    a concurrent login creates with the old generation is refused too."""
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user, ["session_generation"])
    # Refresh tokens before sessions: the order a refresh locks them in (see _revoke).
    RefreshToken.remove_all(session, user.id)  # the kept session gets a new pair (`renew`)
    LoginSession.remove_all(session, user.id, keep=keep)
    if keep is not None:
        session.execute(
            update(LoginSession)
            .where(LoginSession.id == keep)
            .values(generation=user.session_generation)
            .execution_options(synchronize_session=False)
        )


def renew(session: Session, signer: Signer, user: User, session_id: str) -> TokenPair:
    """A fresh pair for a session that survived `end_all(keep=...)`; its older tokens carry
    the previous generation and are refused from now on."""
    login = session.get(LoginSession, session_id)
    if login is None or login.user_id != user.id:
        raise TokenError()
    session.refresh(login)
    return _issue(session, signer, user, login)


def _issue(session: Session, signer: Signer, user: User, login: LoginSession) -> TokenPair:
    settings = signer.settings
    refresh = RefreshToken.issue(session, user.id, login.id, settings.refresh_token_ttl_seconds)
    session.commit()
    access = issue_access_token(
        user.id,
        signer.keys,
        settings.access_token_ttl_seconds,
        login.id,
        account=account_stamp(user.created_at),
        generation=login.generation,
    )
    return TokenPair(access, refresh)


def _clip(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None
