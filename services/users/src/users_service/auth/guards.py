"""Authentication and the admin check, defined once and applied as decorators."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request
from sqlalchemy import select

from users_service.auth.passwords import current_hasher
from users_service.auth.rate_limits import limit_request
from users_service.auth.signing_key import current_token_keys
from users_service.auth.tokens import (
    TokenClaims,
    TokenError,
    account_stamp,
    decode_access_token,
)
from users_service.models import RevokedToken, User
from users_service.models.database import db
from users_service.users import accounts
from users_service.web.errors import ApiError

View = TypeVar("View", bound=Callable[..., Any])

# The reference's literals (not credentials, whatever the linter's name heuristic thinks).
NO_TOKEN = "Provide a valid auth token."  # noqa: S105
EXPIRED_TOKEN = "Signature expired. Please log in again."  # noqa: S105
INVALID_TOKEN = "Invalid token. Please log in again."  # noqa: S105
UNKNOWN_USER = "Something went wrong. Please contact us."
NOT_ADMIN = "You do not have permission to do that."
WRONG_PASSWORD = "The password is wrong."  # noqa: S105
# Each guard marks the view it wraps, so /openapi.json documents exactly what it enforces.
GUARD_ATTRIBUTE = "auth_guard"


def login_required(view: View) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.token_claims = _claims_from_header()
        try:
            g.current_user = _active_user(g.token_claims)
        finally:
            # Give the connection back: the view may now wait on a slow client (an upload's
            # body) without holding one of the pool's. The user stays loaded, detached.
            db.reads.close()
        return view(*args, **kwargs)

    setattr(wrapper, GUARD_ATTRIBUTE, "login")
    return cast(View, wrapper)


def admin_required(view: View) -> View:
    """Authentication errors first, then the admin check, then (in the view) the body."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not g.current_user.admin:
            raise ApiError(401, NOT_ADMIN)
        return view(*args, **kwargs)

    guarded = login_required(cast(View, wrapper))
    setattr(guarded, GUARD_ATTRIBUTE, "admin")
    return guarded


def login_required_unless(public: Callable[[], bool]) -> Callable[[View], View]:
    """`login_required` while `public()` (a setting, read in the app context) is false."""

    def decorate(view: View) -> View:
        guarded = login_required(view)

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs) if public() else guarded(*args, **kwargs)

        # The app's settings decide, so its /openapi.json shows the guard it enforces.
        setattr(wrapper, GUARD_ATTRIBUTE, lambda: None if public() else "login")
        return cast(View, wrapper)

    return decorate


def guard_of(view: Callable[..., Any]) -> str | None:
    """`login`, `admin`, or None for a public view (in an app context: a guard may depend on
    the settings)."""
    guard = getattr(view, GUARD_ATTRIBUTE, None)
    found: str | None = guard() if callable(guard) else guard
    return found


def current_user() -> User:
    user: User = g.current_user
    return user


def current_claims() -> TokenClaims:
    claims: TokenClaims = g.token_claims
    return claims


def confirm_password(password: str, status: str = "error") -> User:
    """The caller, loaded for writing, once they have typed their password again (changes
    that a stolen access token alone must not make). Attempts count against the `password`
    rate limits, per address and per account, so a stolen token cannot guess it."""
    limit_request("password", str(current_user().id))
    user = db.session.get(User, current_user().id)
    if accounts.authenticate(db.session, current_hasher(), user, password) is None:
        raise ApiError(403, WRONG_PASSWORD, status)
    assert user is not None  # authenticated
    return user


def _claims_from_header() -> TokenClaims:
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise ApiError(403, NO_TOKEN)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, INVALID_TOKEN)
    try:
        return decode_access_token(token.strip(), current_token_keys())
    except TokenError as error:
        raise token_refused(error) from error


def token_refused(error: TokenError) -> ApiError:
    """The contract's reply to an access or refresh token that cannot be trusted."""
    return ApiError(401, EXPIRED_TOKEN if error.expired else INVALID_TOKEN)


def _active_user(claims: TokenClaims) -> User:
    """The token's user, if the token is not revoked and the account is active: one query
    (one round trip) when all is well, a second only to tell a revoked token from a missing
    user."""
    revocation_ids = [claims.jti]
    if claims.family is not None:
        revocation_ids.append(RevokedToken.family_id(claims.family))
    found = db.reads.execute(
        select(User, RevokedToken.any_of(*revocation_ids)).where(User.id == claims.user_id)
    ).first()
    if found is None:
        revoked = RevokedToken.is_revoked(db.reads, *revocation_ids)
        raise ApiError(401, INVALID_TOKEN if revoked else UNKNOWN_USER)
    user: User = found[0]
    if found[1]:  # revoked
        raise ApiError(401, INVALID_TOKEN)
    if not user.active or not _same_account(claims, user):
        raise ApiError(401, UNKNOWN_USER)
    if claims.generation != user.session_generation:  # every session ended since it was issued
        raise ApiError(401, INVALID_TOKEN)
    return user


def _same_account(claims: TokenClaims, user: User) -> bool:
    """The token was issued to this account, not to an earlier holder of its id."""
    return claims.account is None or claims.account == account_stamp(user.created_at)
