"""Register, log in, refresh, log out and token status (the reference's /auth routes,
plus refresh tokens)."""

from contextlib import suppress
from typing import Any

from flask import Blueprint, Response, request

from users_service.auth import mailed_tokens, sessions
from users_service.auth.guards import (
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    current_claims,
    current_user,
    login_required,
    token_refused,
)
from users_service.auth.passwords import current_hasher
from users_service.auth.rate_limits import LoginLimits, client_address, limit_request
from users_service.auth.schemas import Login, TokenPairReply, TokenRefresh
from users_service.auth.sessions import AccountGoneError, Origin, Signer, TokenPair
from users_service.auth.signing_key import current_token_keys
from users_service.auth.tokens import TokenError
from users_service.config import current_settings
from users_service.meta.openapi import ReplyDoc, documented
from users_service.meta.openapi.standard import RATE_LIMITED, error_reply
from users_service.models import User
from users_service.models.database import db
from users_service.users import accounts, identities
from users_service.users.schemas import UserCreate, UserPrivateReply
from users_service.web.errors import ApiError
from users_service.web.security_log import Event, security_event
from users_service.web.wire import Message, parse_body, reply

bp = Blueprint("auth", __name__, url_prefix="/auth")
USER_EXISTS = "Sorry. That user already exists."
NO_SUCH_USER = "User does not exist."
NOT_VERIFIED = "The email address is not verified: follow the link mailed to it."
REFRESH_REFUSED = error_reply(
    "The refresh token is unknown, expired, revoked or already spent (a spent token "
    "presented again revokes its whole session).",
    EXPIRED_TOKEN,
    INVALID_TOKEN,
)


def token_pair_replies(code: int, refusal_code: int, refusal: ReplyDoc) -> dict[int, Any]:
    """What a rate-limited route that starts or renews a session answers, besides what its
    declaration implies."""
    return {code: TokenPairReply, refusal_code: refusal, 429: RATE_LIMITED}


def signer() -> Signer:
    return Signer(current_settings(), current_token_keys())


def refuse_unverified(user: User) -> None:
    """With EMAIL_VERIFICATION=required, an unverified address cannot log in: the login is
    refused with a 403 (its password was right, so this tells nothing to a guesser), and a
    new link is mailed unless the user's budget of links is spent."""
    if current_settings().email_verification != "required" or user.email_verified:
        return
    db.session.commit()  # the login's own writes (where it came from) are kept
    with suppress(ApiError):  # over budget: the links already mailed must do
        limit_request("verify_email", str(user.id))
        mailed_tokens.mail_verification_link(user.id)
    raise ApiError(403, NOT_VERIFIED)


def start_session(user: User) -> TokenPair:
    """A new session for `user`, from this request's client."""
    origin = Origin(request.headers.get("User-Agent"), client_address())
    try:
        return sessions.start(db.session, signer(), user, origin)
    except AccountGoneError as error:
        raise ApiError(404, NO_SUCH_USER) from error


def pair_reply(message: str, pair: TokenPair, code: int = 200) -> tuple[Response, int]:
    # `auth_token` stays the access token, as the contract's clients expect.
    body = TokenPairReply(
        message=message,
        auth_token=pair.access,
        refresh_token=pair.refresh,
        expires_in=current_settings().access_token_ttl_seconds,
    )
    return reply(body, code)


@bp.post("/register")
@documented(
    "Register",
    body=UserCreate,
    replies=token_pair_replies(
        201, 400, error_reply("The username or email is taken.", USER_EXISTS)
    ),
)
def register() -> tuple[Response, int]:
    """Create an account; reply with an access token and a refresh token.

    Usernames and emails are unique in their canonical form (NFKC and case folding).
    Passwords are PASSWORD_MIN_LENGTH (8) to PASSWORD_MAX_LENGTH (1024) characters and not
    only white space. Limited per client address and per email."""
    data = parse_body(UserCreate, context=current_settings())
    limit_request("register", identities.email_key(data.email))
    try:
        user = accounts.create_user(db.session, current_hasher(), **data.model_dump())
    except accounts.DuplicateUserError as error:
        raise ApiError(400, USER_EXISTS) from error
    if current_settings().email_verification != "off":
        mailed_tokens.mail_verification_link(user.id)
    return pair_reply("Successfully registered.", start_session(user), 201)


@bp.post("/login")
@documented(
    "Log in",
    body=Login,
    replies=token_pair_replies(200, 404, error_reply("Wrong email or password.", NO_SUCH_USER))
    | {403: error_reply("EMAIL_VERIFICATION=required, and the address is not.", NOT_VERIFIED)},
)
def login() -> tuple[Response, int]:
    """Exchange email and password for an access token and a refresh token.

    An unknown email, a wrong password and an inactive account all answer the same 404.
    With EMAIL_VERIFICATION=required, the right password for an unverified address answers
    403, and a new link is mailed (within the user's budget of links).
    Limited per client address (every attempt), and in failed attempts per email from this
    address and per email from all addresses but the one it last logged in from."""
    credentials = parse_body(Login)
    limits = LoginLimits.of(identities.email_key(credentials.email))
    account = accounts.find_by_key(db.session, limits.account)
    limits.check(account.last_login_from if account else None)
    limit_request("login")
    user = accounts.authenticate(db.session, current_hasher(), account, credentials.password)
    if user is None:
        limits.count_failure()
        security_event(Event.LOGIN_FAILED, account.id if account else None)
        raise ApiError(404, NO_SUCH_USER)
    accounts.record_login(user, limits.address)
    refuse_unverified(user)
    pair = start_session(user)
    security_event(Event.LOGIN_SUCCEEDED, user.id)
    return pair_reply("Successfully logged in.", pair)


@bp.post("/refresh")
@documented(
    "Refresh",
    body=TokenRefresh,
    replies=token_pair_replies(200, 401, REFRESH_REFUSED),
)
def refresh() -> tuple[Response, int]:
    """Spend a refresh token for a new pair. Each refresh token works once: presenting a
    spent one revokes its whole session (every token issued since that login). Limited per
    client address and per user."""
    token = parse_body(TokenRefresh).refresh_token
    owner = sessions.owner_of(db.session, token)
    limit_request("refresh", None if owner is None else str(owner))
    try:
        pair = sessions.rotate(db.session, signer(), token)
    except sessions.TokenReusedError as error:
        security_event(Event.REFRESH_REUSED, error.user_id)
        raise token_refused(error) from error
    except TokenError as error:
        raise token_refused(error) from error
    return pair_reply("Successfully refreshed.", pair)


@bp.get("/logout")
@documented("Log out", replies={200: Message})
@login_required
def logout() -> tuple[Response, int]:
    """Revoke the presented token and its session's refresh tokens on every instance."""
    sessions.end(db.session, signer(), current_claims())
    security_event(Event.LOGOUT, current_user().id)
    return reply(Message(message="Successfully logged out."))


@bp.get("/status")
@documented("Token status", replies={200: UserPrivateReply})
@login_required
def status() -> tuple[Response, int]:
    """The account the presented token belongs to."""
    return reply(UserPrivateReply.of(current_user()))
