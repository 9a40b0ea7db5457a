"""Register, log in, log out and token status (the reference's /auth routes)."""

from flask import Blueprint, Response, jsonify

from users_service import accounts
from users_service.errors import ApiError
from users_service.extensions import db
from users_service.guards import current_claims, current_user, login_required
from users_service.runtime import runtime
from users_service.schemas import Credentials, UserCreate, user_status, validate
from users_service.security.tokens import issue_access_token

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _token_for(user_id: int) -> str:
    settings = runtime().settings
    return issue_access_token(user_id, runtime().signing_key, settings.access_token_ttl_seconds)


@bp.post("/register")
def register() -> tuple[Response, int]:
    """Create an account and return an access token."""
    data = validate(UserCreate, context=runtime().password_policy())
    try:
        user = accounts.create_user(db.session, runtime().hasher, data)
    except accounts.DuplicateUserError as error:
        raise ApiError(400, "Sorry. That user already exists.") from error
    return jsonify(
        status="success", message="Successfully registered.", auth_token=_token_for(user.id)
    ), 201


@bp.post("/login")
def login() -> Response:
    """Exchange email and password for an access token."""
    credentials = validate(Credentials)
    user = accounts.authenticate(
        db.session, runtime().hasher, credentials.email, credentials.password
    )
    if user is None:
        raise ApiError(404, "User does not exist.")
    return jsonify(
        status="success", message="Successfully logged in.", auth_token=_token_for(user.id)
    )


@bp.get("/logout")
@login_required
def logout() -> Response:
    """Revoke the presented token on every instance."""
    accounts.revoke(db.session, current_claims())
    return jsonify(status="success", message="Successfully logged out.")


@bp.get("/status")
@login_required
def status() -> Response:
    """The account the presented token belongs to."""
    return jsonify(status="success", data=user_status(current_user()))
