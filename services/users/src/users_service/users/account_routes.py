"""The caller's own account: /users/me (see it, change its username or email, delete it)."""

from flask import Blueprint, Response

from users_service.auth import mailed_tokens
from users_service.auth.guards import WRONG_PASSWORD, confirm_password, current_user, login_required
from users_service.config import current_settings
from users_service.files.storage import current_storage
from users_service.meta.openapi import documented
from users_service.meta.openapi.standard import error_reply
from users_service.models.database import db
from users_service.users import accounts
from users_service.users.routes import DUPLICATE_MESSAGES, LAST_ADMIN, LAST_ADMIN_REPLY
from users_service.users.schemas import (
    AccountDeletion,
    AccountUpdate,
    UserPrivateReply,
)
from users_service.web.errors import ApiError
from users_service.web.security_log import Event, security_event
from users_service.web.wire import Message, parse_body, reply

bp = Blueprint("account", __name__, url_prefix="/users/me")
PASSWORD_REFUSED = error_reply("The password is wrong.", WRONG_PASSWORD)


@bp.get("")
@documented("Get my account", replies={200: UserPrivateReply})
@login_required
def get_account() -> tuple[Response, int]:
    """The caller's account (as /auth/status shows it)."""
    return reply(UserPrivateReply.of(current_user()))


@bp.patch("")
@documented(
    "Change my username or email",
    body=AccountUpdate,
    replies={
        200: UserPrivateReply,
        400: error_reply("The username or email is taken.", *DUPLICATE_MESSAGES.values()),
        403: PASSWORD_REFUSED,
    },
)
@login_required
def update_account() -> tuple[Response, int]:
    """Change the username and/or the email, confirmed with `current_password`; the rules of
    registration apply. A new email is unverified; with EMAIL_VERIFICATION on, a link is
    mailed to it. Limited per client address and per user."""
    change = parse_body(AccountUpdate, status="fail", context=current_settings())
    user = confirm_password(change.current_password, "fail")
    old_email = user.email
    try:
        accounts.update_account(db.session, user, username=change.username, email=change.email)
    except accounts.DuplicateUserError as error:
        raise ApiError(400, DUPLICATE_MESSAGES[error.field], "fail") from error
    if user.email != old_email and current_settings().email_verification != "off":
        mailed_tokens.mail_verification_link(user.id)
    security_event(Event.ACCOUNT_UPDATED, user.id)
    return reply(UserPrivateReply.of(user))


@bp.delete("")
@documented(
    "Delete my account",
    body=AccountDeletion,
    replies={200: Message, 403: PASSWORD_REFUSED, 409: LAST_ADMIN_REPLY},
)
@login_required
def delete_account() -> tuple[Response, int]:
    """Delete the caller's account, confirmed with `password`: its sessions end and its
    files are deleted; the username and email can be registered again. Limited per client
    address and per user."""
    password = parse_body(AccountDeletion, status="fail").password
    user = confirm_password(password, "fail")
    deleted = user.id
    try:
        accounts.delete_user(db.session, user, current_storage())
    except accounts.LastAdminError as error:
        raise ApiError(409, LAST_ADMIN, "fail") from error
    security_event(Event.ACCOUNT_DELETED, deleted)
    return reply(Message(message="Account deleted."))
