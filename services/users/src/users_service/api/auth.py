"""Register, log in, log out and token status (the reference's /auth routes)."""

from flask import Blueprint, Response

from users_service import accounts
from users_service.errors import ApiError
from users_service.extensions import db
from users_service.guards import current_claims, current_user, login_required
from users_service.openapi import documented
from users_service.openapi.standard import error_reply
from users_service.replies import Message, StatusReply, TokenReply, UserStatus, send
from users_service.runtime import runtime
from users_service.schemas import Credentials, UserCreate, validate
from users_service.security.tokens import issue_access_token

bp = Blueprint("auth", __name__, url_prefix="/auth")
USER_EXISTS = "Sorry. That user already exists."
NO_SUCH_USER = "User does not exist."


def _token_for(user_id: int) -> str:
    settings = runtime().settings
    return issue_access_token(user_id, runtime().signing_key, settings.access_token_ttl_seconds)


@bp.post("/register")
@documented(
    "Register",
    body=UserCreate,
    replies={201: TokenReply, 400: error_reply("The username or email is taken.", USER_EXISTS)},
)
def register() -> tuple[Response, int]:
    """Create an account and return an access token.

    Usernames and emails are unique case-insensitively. Passwords are PASSWORD_MIN_LENGTH (8)
    to PASSWORD_MAX_LENGTH (1024) characters and not only white space."""
    data = validate(UserCreate, context=runtime().password_policy())
    try:
        user = accounts.create_user(db.session, runtime().hasher, data)
    except accounts.DuplicateUserError as error:
        raise ApiError(400, USER_EXISTS) from error
    reply = TokenReply(message="Successfully registered.", auth_token=_token_for(user.id))
    return send(reply, 201)


@bp.post("/login")
@documented(
    "Log in",
    body=Credentials,
    replies={200: TokenReply, 404: error_reply("Wrong email or password.", NO_SUCH_USER)},
)
def login() -> tuple[Response, int]:
    """Exchange email and password for an access token.

    An unknown email, a wrong password and an inactive account all answer the same 404."""
    credentials = validate(Credentials)
    user = accounts.authenticate(
        db.session, runtime().hasher, credentials.email, credentials.password
    )
    if user is None:
        raise ApiError(404, NO_SUCH_USER)
    return send(TokenReply(message="Successfully logged in.", auth_token=_token_for(user.id)))


@bp.get("/logout")
@documented("Log out", replies={200: Message})
@login_required
def logout() -> tuple[Response, int]:
    """Revoke the presented token on every instance."""
    accounts.revoke(db.session, current_claims())
    return send(Message(message="Successfully logged out."))


@bp.get("/status")
@documented("Token status", replies={200: StatusReply})
@login_required
def status() -> tuple[Response, int]:
    """The account the presented token belongs to."""
    return send(StatusReply(data=UserStatus.of(current_user())))
