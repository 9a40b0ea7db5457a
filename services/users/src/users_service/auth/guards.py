"""Authentication and the admin check, defined once and applied as decorators."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from users_service.auth.passwords import current_hasher
from users_service.auth.rate_limits import limit_request
from users_service.auth.signing_key import current_verifier
from users_service.auth.tokens import (
    TokenClaims,
    TokenError,
    account_stamp,
)
from users_service.models import RevokedToken, User
from users_service.models.compiled_reads import CompiledRead
from users_service.models.database import db
from users_service.models.user import USER_VIEW, USERS, UserView
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
# The token's account and whether the token or its session is revoked: one round trip.
REVOKED = RevokedToken.any_of(bindparam("jti"), bindparam("family")).label("revoked")
SIGNED_IN_USER = CompiledRead(select(*USER_VIEW, REVOKED).where(USERS.c.id == bindparam("user_id")))
IS_REVOKED = CompiledRead(select(REVOKED))


def login_required(view: View) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.token_claims = _claims_from_header()
        # Read on a connection of its own, given back before the view runs: the view may
        # wait on a slow client (an upload's body) without holding one of the pool's.
        g.current_user = _active_user(g.token_claims)
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


def current_user() -> UserView:
    user: UserView = g.current_user
    return user


def current_account(session: Session) -> User:
    """The caller as the model, loaded in `session`, to change it or link rows to it."""
    user = session.get(User, current_user().id)
    if user is None:  # deleted since the guard read it
        raise ApiError(401, UNKNOWN_USER)
    return user


def current_claims() -> TokenClaims:
    claims: TokenClaims = g.token_claims
    return claims


def confirm_password(password: str, status: str = "error") -> User:
    """The caller, loaded for writing, once they have typed their password again (changes
    that a stolen access token alone must not make). Attempts count against the `password`
    rate limits, per address and per account, so a stolen token cannot guess it."""
    limit_request("password", str(current_user().id))
    user = current_account(db.session)
    if accounts.authenticate(db.session, current_hasher(), user, password) is None:
        raise ApiError(403, WRONG_PASSWORD, status)
    return user


def _claims_from_header() -> TokenClaims:
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise ApiError(403, NO_TOKEN)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, INVALID_TOKEN)
    try:
        return current_verifier().claims(token.strip())
    except TokenError as error:
        raise token_refused(error) from error


def token_refused(error: TokenError) -> ApiError:
    """The contract's reply to an access or refresh token that cannot be trusted."""
    return ApiError(401, EXPIRED_TOKEN if error.expired else INVALID_TOKEN)


def _active_user(claims: TokenClaims) -> UserView:
    """The token's user, if the token is not revoked and the account is active: one query
    (one round trip) when all is well, a second only to tell a revoked token from a missing
    user."""
    family = None if claims.family is None else RevokedToken.family_id(claims.family)
    revocation = {"jti": claims.jti, "family": family}  # a NULL family matches no row
    found = db.read_one(SIGNED_IN_USER, user_id=claims.user_id, **revocation)
    if found is None:
        revoked = db.read_one(IS_REVOKED, **revocation)
        raise ApiError(401, INVALID_TOKEN if revoked and revoked.revoked else UNKNOWN_USER)
    if found.revoked:
        raise ApiError(401, INVALID_TOKEN)
    user = UserView.of(found)
    if not user.active or not _same_account(claims, user):
        raise ApiError(401, UNKNOWN_USER)
    if claims.generation != user.session_generation:  # every session ended since it was issued
        raise ApiError(401, INVALID_TOKEN)
    return user


def _same_account(claims: TokenClaims, user: UserView) -> bool:
    """The token was issued to this account, not to an earlier holder of its id."""
    return claims.account is None or claims.account == account_stamp(user.created_at)
