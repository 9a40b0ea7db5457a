"""The users resource: a paginated public list, single users, and admin-only creation."""

from flask import Blueprint, Response

from users_service.auth.guards import admin_required
from users_service.auth.passwords import current_hasher
from users_service.config import current_settings
from users_service.meta.openapi import documented
from users_service.meta.openapi.standard import error_reply
from users_service.models import User
from users_service.models.database import db
from users_service.users import accounts
from users_service.users.schemas import UserCreate, UserPublic, UserReply, UsersPageReply
from users_service.web.errors import ApiError
from users_service.web.pagination import PageQuery, list_reply
from users_service.web.path_ids import get_by_path_id
from users_service.web.wire import Message, parse_body, reply

bp = Blueprint("users", __name__, url_prefix="/users")
DUPLICATE_MESSAGES = {
    "email": "Sorry. That email already exists.",
    "username": "Sorry. That username already exists.",
}
NO_SUCH_USER = "User does not exist"  # no period, as in the reference


@bp.get("")
@documented("List users", query=PageQuery, replies={200: UsersPageReply})
def list_users() -> tuple[Response, int]:
    """Users, newest first, one page at a time (?limit=, ?cursor= from `next_cursor`)."""
    return list_reply(db.reads, User, "users", UsersPageReply)


@bp.get("/<user_id>")
@documented("Get a user", replies={200: UserReply, 404: error_reply("No such user.", NO_SUCH_USER)})
def get_user(user_id: str) -> tuple[Response, int]:
    """One user; any id that is not a known integer is a 404."""
    user = get_by_path_id(db.reads, User, user_id)
    if user is None:
        raise ApiError(404, NO_SUCH_USER, "fail")
    return reply(UserReply(data=UserPublic.model_validate(user)))


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
    data = parse_body(UserCreate, status="fail", context=current_settings())
    try:
        user = accounts.create_user(db.session, current_hasher(), **data.model_dump())
    except accounts.DuplicateUserError as error:
        raise ApiError(400, DUPLICATE_MESSAGES[error.field], "fail") from error
    return reply(Message(message=f"{user.email} was added!"), 201)
