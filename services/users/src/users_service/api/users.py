"""The users resource: a paginated public list, single users, and admin-only creation."""

from flask import Blueprint, Response, jsonify

from users_service import accounts
from users_service.errors import ApiError
from users_service.extensions import db
from users_service.guards import admin_required
from users_service.models import User
from users_service.openapi import documented
from users_service.openapi.standard import error_reply
from users_service.pagination import PageQuery, get_by_path_id, list_page
from users_service.replies import Message, UserReply, UserSummary, page_of, send
from users_service.runtime import runtime
from users_service.schemas import UserCreate, validate

bp = Blueprint("users", __name__, url_prefix="/users")
DUPLICATE_MESSAGES = {
    "email": "Sorry. That email already exists.",
    "username": "Sorry. That username already exists.",
}
NO_SUCH_USER = "User does not exist"  # no period, as in the reference


@bp.get("")
@documented("List users", query=PageQuery, replies={200: page_of("users", UserSummary)})
def list_users() -> Response:
    """Users, newest first, one page at a time (?limit=, ?cursor= from `next_cursor`)."""
    settings = runtime().settings
    sizes = settings.users_page_size, settings.users_max_page_size
    return jsonify(list_page(db.session, User, "users", UserSummary.of, sizes))


@bp.get("/<user_id>")
@documented(
    "Get a user",
    path={"user_id": "The user's id; anything that is not a known integer id is a 404."},
    replies={200: UserReply, 404: error_reply("No such user.", NO_SUCH_USER)},
)
def get_user(user_id: str) -> tuple[Response, int]:
    """One user; any id that is not a known integer is a 404."""
    user = get_by_path_id(db.session, User, user_id)
    if user is None:
        raise ApiError(404, NO_SUCH_USER, "fail")
    return send(UserReply(data=UserSummary.of(user)))


@bp.post("")
@documented(
    "Add a user (admins)",
    body=UserCreate,
    replies={
        201: Message,
        400: error_reply("The username or email is taken.", *DUPLICATE_MESSAGES.values()),
    },
)
@admin_required
def add_user() -> tuple[Response, int]:
    """Create a user (admins only).

    Authentication errors come first, then the admin check (even for an empty body), then
    the body."""
    data = validate(UserCreate, status="fail", context=runtime().password_policy())
    try:
        user = accounts.create_user(db.session, runtime().hasher, data)
    except accounts.DuplicateUserError as error:
        raise ApiError(400, DUPLICATE_MESSAGES[error.field], "fail") from error
    return send(Message(message=f"{user.email} was added!"), 201)
