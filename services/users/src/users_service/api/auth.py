"""Register, log in, refresh, log out and token status (the reference's /auth routes,
plus refresh tokens)."""

from flask import Blueprint, Response, jsonify

from users_service import accounts, sessions
from users_service.errors import ApiError
from users_service.extensions import db
from users_service.guards import current_claims, current_user, login_required, token_refused
from users_service.rate_limits import limit_account, limit_client
from users_service.runtime import runtime
from users_service.schemas import Credentials, RefreshRequest, UserCreate, user_status, validate
from users_service.security.tokens import TokenError

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _session_reply(message: str, pair: sessions.TokenPair) -> Response:
    # `auth_token` stays the access token, as the contract's clients expect.
    return jsonify(
        status="success", message=message, auth_token=pair.access, refresh_token=pair.refresh
    )


@bp.post("/register")
def register() -> tuple[Response, int]:
    """Create an account; reply with an access token and a refresh token."""
    data = validate(UserCreate, context=runtime().password_policy())
    limit_client("register")
    limit_account("register", data.email)
    try:
        user = accounts.create_user(db.session, runtime().hasher, data)
    except accounts.DuplicateUserError as error:
        raise ApiError(400, "Sorry. That user already exists.") from error
    pair = sessions.start(db.session, runtime(), user.id)
    return _session_reply("Successfully registered.", pair), 201


@bp.post("/login")
def login() -> Response:
    """Exchange email and password for an access token and a refresh token."""
    credentials = validate(Credentials)
    limit_client("login")
    limit_account("login", credentials.email)
    user = accounts.authenticate(
        db.session, runtime().hasher, credentials.email, credentials.password
    )
    if user is None:
        raise ApiError(404, "User does not exist.")
    return _session_reply("Successfully logged in.", sessions.start(db.session, runtime(), user.id))


@bp.post("/refresh")
def refresh() -> Response:
    """Spend a refresh token for a new pair. Each refresh token works once: presenting a
    spent one revokes its whole session (every token issued since that login)."""
    token = validate(RefreshRequest).refresh_token
    limit_client("refresh")
    owner = sessions.owner_of(db.session, token)
    if owner is not None:
        limit_account("refresh", str(owner))
    try:
        pair = sessions.rotate(db.session, runtime(), token)
    except TokenError as error:
        raise token_refused(error) from error
    return _session_reply("Successfully refreshed.", pair)


@bp.get("/logout")
@login_required
def logout() -> Response:
    """Revoke the presented token and its session's refresh tokens on every instance."""
    sessions.end(db.session, runtime(), current_claims())
    return jsonify(status="success", message="Successfully logged out.")


@bp.get("/status")
@login_required
def status() -> Response:
    """The account the presented token belongs to."""
    return jsonify(status="success", data=user_status(current_user()))
