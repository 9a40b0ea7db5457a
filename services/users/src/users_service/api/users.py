"""The users resource: a paginated public list, single users, and admin-only creation."""

from flask import Blueprint, Response, jsonify

from users_service import accounts
from users_service.errors import ApiError
from users_service.extensions import db
from users_service.guards import admin_required
from users_service.models import User
from users_service.pagination import page_of, parse_row_id
from users_service.runtime import runtime
from users_service.schemas import UserCreate, user_summary, validate

bp = Blueprint("users", __name__, url_prefix="/users")
DUPLICATE_MESSAGES = {
    "email": "Sorry. That email already exists.",
    "username": "Sorry. That username already exists.",
}


@bp.get("")
def list_users() -> Response:
    """Users, newest first, one page at a time (?limit=, ?cursor= from `next_cursor`)."""
    settings = runtime().settings
    sizes = settings.users_page_size, settings.users_max_page_size
    return jsonify(page_of(db.session, User, "users", user_summary, sizes))


@bp.get("/<user_id>")
def get_user(user_id: str) -> Response:
    """One user; any id that is not a known integer is a 404."""
    row_id = parse_row_id(user_id)
    user = db.session.get(User, row_id) if row_id is not None else None
    if user is None:
        raise ApiError(404, "User does not exist", "fail")
    return jsonify(status="success", data=user_summary(user))


@bp.post("")
@admin_required
def add_user() -> tuple[Response, int]:
    """Create a user (admins only)."""
    data = validate(UserCreate, status="fail", context=runtime().password_policy())
    try:
        user = accounts.create_user(db.session, runtime().hasher, data)
    except accounts.DuplicateUserError as error:
        raise ApiError(400, DUPLICATE_MESSAGES[error.field], "fail") from error
    return jsonify(status="success", message=f"{user.email} was added!"), 201
