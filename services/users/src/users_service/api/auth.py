"""Register, log in, refresh, log out and token status (the reference's /auth routes,
plus refresh tokens)."""

from flask import Blueprint, Response

from users_service import accounts, sessions
from users_service.errors import ApiError
from users_service.extensions import db
from users_service.guards import (
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    current_claims,
    current_user,
    login_required,
    token_refused,
)
from users_service.openapi import documented
from users_service.openapi.standard import RATE_LIMITED, error_reply
from users_service.rate_limits import limit_account, limit_client
from users_service.replies import Message, StatusReply, TokenReply, UserStatus, send
from users_service.runtime import runtime
from users_service.schemas import Credentials, RefreshRequest, UserCreate, validate
from users_service.security.tokens import TokenError

bp = Blueprint("auth", __name__, url_prefix="/auth")
USER_EXISTS = "Sorry. That user already exists."
NO_SUCH_USER = "User does not exist."
REFRESH_REFUSED = error_reply(
    "The refresh token is unknown, expired, revoked or already spent (a spent token "
    "presented again revokes its whole session).",
    EXPIRED_TOKEN,
    INVALID_TOKEN,
)


def _session_reply(message: str, pair: sessions.TokenPair, code: int = 200) -> tuple[Response, int]:
    # `auth_token` stays the access token, as the contract's clients expect.
    return send(
        TokenReply(message=message, auth_token=pair.access, refresh_token=pair.refresh), code
    )


@bp.post("/register")
@documented(
    "Register",
    body=UserCreate,
    replies={
        201: TokenReply,
        400: error_reply("The username or email is taken.", USER_EXISTS),
        429: RATE_LIMITED,
    },
)
def register() -> tuple[Response, int]:
    """Create an account; reply with an access token and a refresh token.

    Usernames and emails are unique case-insensitively. Passwords are PASSWORD_MIN_LENGTH (8)
    to PASSWORD_MAX_LENGTH (1024) characters and not only white space. Limited per client
    address and per email."""
    data = validate(UserCreate, context=runtime().password_policy())
    limit_client("register")
    limit_account("register", data.email)
    try:
        user = accounts.create_user(db.session, runtime().hasher, data)
    except accounts.DuplicateUserError as error:
        raise ApiError(400, USER_EXISTS) from error
    pair = sessions.start(db.session, runtime(), user.id)
    return _session_reply("Successfully registered.", pair, 201)


@bp.post("/login")
@documented(
    "Log in",
    body=Credentials,
    replies={
        200: TokenReply,
        404: error_reply("Wrong email or password.", NO_SUCH_USER),
        429: RATE_LIMITED,
    },
)
def login() -> tuple[Response, int]:
    """Exchange email and password for an access token and a refresh token.

    An unknown email, a wrong password and an inactive account all answer the same 404.
    Limited per client address and per email."""
    credentials = validate(Credentials)
    limit_client("login")
    limit_account("login", credentials.email)
    user = accounts.authenticate(
        db.session, runtime().hasher, credentials.email, credentials.password
    )
    if user is None:
        raise ApiError(404, NO_SUCH_USER)
    return _session_reply("Successfully logged in.", sessions.start(db.session, runtime(), user.id))


@bp.post("/refresh")
@documented(
    "Refresh",
    body=RefreshRequest,
    replies={200: TokenReply, 401: REFRESH_REFUSED, 429: RATE_LIMITED},
)
def refresh() -> tuple[Response, int]:
    """Spend a refresh token for a new pair. Each refresh token works once: presenting a
    spent one revokes its whole session (every token issued since that login). Limited per
    client address and per user."""
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
@documented("Log out", replies={200: Message})
@login_required
def logout() -> tuple[Response, int]:
    """Revoke the presented token and its session's refresh tokens on every instance."""
    sessions.end(db.session, runtime(), current_claims())
    return send(Message(message="Successfully logged out."))


@bp.get("/status")
@documented("Token status", replies={200: StatusReply})
@login_required
def status() -> tuple[Response, int]:
    """The account the presented token belongs to."""
    return send(StatusReply(data=UserStatus.of(current_user())))
