"""The users resource: a paginated list, single users, and what admins do to accounts (add,
change, delete). With USERS_PUBLIC=false, reading users needs a token too."""

from collections.abc import Sequence
from typing import Any, TypeVar

from flask import Blueprint, Response
from pydantic import TypeAdapter
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from users_service.auth.guards import admin_required, current_user, login_required_unless
from users_service.auth.passwords import current_hasher
from users_service.config import current_settings
from users_service.files.storage import current_storage
from users_service.meta.openapi import documented
from users_service.meta.openapi.standard import error_reply
from users_service.models import User
from users_service.models.compiled_reads import CompiledRead
from users_service.models.database import db
from users_service.models.user import USER_PUBLIC, USERS
from users_service.users import accounts
from users_service.users.schemas import (
    UserChange,
    UserCreate,
    UserPrivateReply,
    UserPublic,
    UserReply,
    UsersPage,
    UsersPageReply,
    UserWithoutEmail,
)
from users_service.web.errors import ApiError
from users_service.web.pagination import NewestFirst, PageQuery, page_of_rows
from users_service.web.path_ids import get_by_path_id, path_id
from users_service.web.security_log import Event, security_event
from users_service.web.wire import Message, parse_body, reply

bp = Blueprint("users", __name__, url_prefix="/users")
DUPLICATE_MESSAGES = {
    "email": "Sorry. That email already exists.",
    "username": "Sorry. That username already exists.",
}
NO_SUCH_USER = "User does not exist"  # no period, as in the reference
LAST_ADMIN = (
    "The last active admin cannot be demoted, deactivated or deleted; make another user "
    "an admin first."
)
DUPLICATE_REPLY = error_reply("The username or email is taken.", *DUPLICATE_MESSAGES.values())
NO_SUCH_USER_REPLY = error_reply("No such user.", NO_SUCH_USER)
LAST_ADMIN_REPLY = error_reply("The user is the last active admin.", LAST_ADMIN)
Found = TypeVar("Found")
USER_BY_ID = CompiledRead(select(*USER_PUBLIC).where(USERS.c.id == bindparam("id")))
NEWEST_USERS = NewestFirst.of(select(*USER_PUBLIC), USERS.c)
WITH_EMAILS = TypeAdapter(list[UserPublic])


def users_are_public() -> bool:
    return current_settings().users_public


@bp.get("")
@documented("List users", query=PageQuery, replies={200: UsersPageReply})
@login_required_unless(users_are_public)
def list_users() -> tuple[Response, int]:
    """Users, newest first, one page at a time (?limit=, ?cursor= from `next_cursor`).

    With USERS_PUBLIC=false, for signed-in users only, and an email only for admins and
    the user themself."""
    page = page_of_rows(db.read_all, NEWEST_USERS, current_settings().page_sizes("users"))
    users = as_seen_by_caller(page.rows)
    return reply(UsersPageReply(data=UsersPage(users=users, **page.meta)))


@bp.get("/<user_id>")
@documented("Get a user", replies={200: UserReply, 404: NO_SUCH_USER_REPLY})
@login_required_unless(users_are_public)
def get_user(user_id: str) -> tuple[Response, int]:
    """One user; any id that is not a known integer is a 404.

    With USERS_PUBLIC=false, for signed-in users only, and the email only for admins and
    the user themself."""
    row_id = path_id(user_id)
    user = existing(None if row_id is None else db.read_one(USER_BY_ID, id=row_id))
    return reply(UserReply(data=as_seen_by_caller([user])[0]))


@bp.post("")
@documented("Add a user (admins)", body=UserCreate, replies={201: Message, 400: DUPLICATE_REPLY})
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


@bp.patch("/<user_id>")
@documented(
    "Change a user (admins)",
    body=UserChange,
    replies={
        200: UserPrivateReply,
        400: DUPLICATE_REPLY,
        404: NO_SUCH_USER_REPLY,
        409: LAST_ADMIN_REPLY,
    },
)
@admin_required
def change_user(user_id: str) -> tuple[Response, int]:
    """Activate or deactivate, promote or demote, rename or change the email of a user
    (admins only); the username and email follow the rules of registration. Deactivating
    ends every session of the user at once; reactivating does not bring them back.

    Authentication errors come first, then the admin check, then the id, then the body."""
    user = found_user(db.session, user_id)
    change = parse_body(UserChange, status="fail")
    try:
        accounts.update_account(db.session, user, **change.model_dump())
    except accounts.DuplicateUserError as error:
        raise ApiError(400, DUPLICATE_MESSAGES[error.field], "fail") from error
    except accounts.LastAdminError as error:
        raise ApiError(409, LAST_ADMIN, "fail") from error
    security_event(Event.ACCOUNT_UPDATED, user.id, by=current_user().id)
    return reply(UserPrivateReply.of(user))


@bp.delete("/<user_id>")
@documented(
    "Delete a user (admins)",
    replies={200: Message, 404: NO_SUCH_USER_REPLY, 409: LAST_ADMIN_REPLY},
)
@admin_required
def delete_user(user_id: str) -> tuple[Response, int]:
    """Delete a user, their sessions and their files (admins only); their username and
    email can be registered again."""
    user = found_user(db.session, user_id)
    email, deleted = user.email, user.id
    try:
        accounts.delete_user(db.session, user, current_storage())
    except accounts.LastAdminError as error:
        raise ApiError(409, LAST_ADMIN, "fail") from error
    security_event(Event.ACCOUNT_DELETED, deleted, by=current_user().id)
    return reply(Message(message=f"{email} was deleted."))


def found_user(session: Session, user_id: str) -> User:
    """The user this path segment names, or the contract's 404."""
    return existing(get_by_path_id(session, User, user_id))


def existing(user: Found | None) -> Found:
    """`user` as found (a model or a row), or the contract's 404 when there is none."""
    if user is None:
        raise ApiError(404, NO_SUCH_USER, "fail")
    return user


def as_seen_by_caller(rows: Sequence[Any]) -> list[UserPublic | UserWithoutEmail]:
    """How the caller may see these users (rows with the USER_PUBLIC columns): with their
    emails when users are public, or when the caller is an admin; else only the caller's."""
    if users_are_public() or current_user().admin:
        return list(WITH_EMAILS.validate_python(rows))  # one call for the page, not one a row
    caller = current_user().id
    return [
        (UserPublic if row.id == caller else UserWithoutEmail).model_validate(row) for row in rows
    ]
